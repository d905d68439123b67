"""Baseline losses (gendd.losses) against hand computations over Python floats and properties."""
import math

import pytest
import torch
import torch.nn.functional as F

from gendd.losses import (
    classification_loss,
    dkd_terms,
    hard_labels,
    kd_loss,
    sce_loss,
    soft_target_cross_entropy,
    weighted_pairwise_mse,
)

STUDENT = [[1.0, -0.5, 2.0], [0.3, 0.8, -1.2]]
TEACHER = [[2.5, 0.1, -0.7], [-0.4, 1.9, 0.6]]
TARGET = [0, 1]


def softmax_list(row, temperature=1.0):
    exps = [math.exp(v / temperature) for v in row]
    total = sum(exps)
    return [e / total for e in exps]


def kl_list(p, q):
    return sum(pi * (math.log(pi) - math.log(qi)) for pi, qi in zip(p, q))


def as_tensors():
    return torch.tensor(STUDENT), torch.tensor(TEACHER), torch.tensor(TARGET)


def close(actual, expected, rel=1e-5):
    return actual.item() == pytest.approx(expected, rel=rel, abs=1e-7)


# ---- KD ----

@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_kd_matches_hand_computation(temperature):
    s, t, _ = as_tensors()
    expected = sum(
        kl_list(softmax_list(tr, temperature), softmax_list(sr, temperature)) for sr, tr in zip(STUDENT, TEACHER)
    ) / len(STUDENT) * temperature**2
    assert close(kd_loss(s, t, temperature), expected)


def test_kd_is_zero_when_student_equals_teacher():
    logits = torch.randn(6, 10) * 3
    assert kd_loss(logits, logits.clone(), 4.0).abs().item() < 1e-6


def test_kd_gradient_closed_form():
    temperature, batch = 4.0, 5
    s = torch.randn(batch, 7, dtype=torch.float64, requires_grad=True)
    t = torch.randn(batch, 7, dtype=torch.float64)
    kd_loss(s, t, temperature).backward()
    expected = temperature * (torch.softmax(s.detach() / temperature, 1) - torch.softmax(t / temperature, 1)) / batch
    torch.testing.assert_close(s.grad, expected, rtol=1e-5, atol=1e-7)


def test_kd_rejects_mismatched_logits():
    with pytest.raises(ValueError, match="differ in shape"):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 4), 1.0)
    with pytest.raises(ValueError, match="temperature"):
        kd_loss(torch.zeros(2, 3), torch.zeros(2, 3), 0.0)


# ---- DKD ----

def hand_tckd_nckd(temperature):
    tckd = nckd = 0.0
    for sr, tr, y in zip(STUDENT, TEACHER, TARGET):
        ps, pt = softmax_list(sr, temperature), softmax_list(tr, temperature)
        tckd += kl_list([pt[y], 1 - pt[y]], [ps[y], 1 - ps[y]])
        rest_s = softmax_list([v for j, v in enumerate(sr) if j != y], temperature)
        rest_t = softmax_list([v for j, v in enumerate(tr) if j != y], temperature)
        nckd += kl_list(rest_t, rest_s)
    scale = temperature**2 / len(STUDENT)
    return tckd * scale, nckd * scale


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_tckd_and_nckd_match_hand_computation(temperature):
    s, t, y = as_tensors()
    tckd, nckd = dkd_terms(s, t, y, temperature)
    expected_tckd, expected_nckd = hand_tckd_nckd(temperature)
    assert close(tckd, expected_tckd)
    assert close(nckd, expected_nckd)


def test_dkd_terms_recompose_kd_per_sample():
    """Per sample, KD = TCKD + (1 − p^t_y)·NCKD (the decomposition of the DKD paper)."""
    temperature = 4.0
    s, t = torch.randn(4, 6) * 2, torch.randn(4, 6) * 2
    y = torch.tensor([0, 3, 5, 2])
    for b in range(4):
        tckd, nckd = dkd_terms(s[b:b + 1], t[b:b + 1], y[b:b + 1], temperature)
        p_target = torch.softmax(t[b] / temperature, 0)[y[b]]
        kd = kd_loss(s[b:b + 1], t[b:b + 1], temperature)
        torch.testing.assert_close(tckd + (1 - p_target) * nckd, kd, rtol=1e-5, atol=1e-6)


def test_dkd_terms_are_finite_for_a_confident_teacher():
    s = torch.tensor([[0.0, 1.0, 2.0]])
    t = torch.tensor([[400.0, -400.0, 0.0]])
    tckd, nckd = dkd_terms(s, t, torch.tensor([0]), 1.0)
    assert torch.isfinite(tckd) and torch.isfinite(nckd)
    assert nckd.item() > 0


def test_dkd_terms_vanish_when_student_equals_teacher():
    logits = torch.randn(3, 5)
    tckd, nckd = dkd_terms(logits, logits.clone(), torch.tensor([1, 2, 4]), 4.0)
    assert abs(tckd.item()) < 1e-6 and abs(nckd.item()) < 1e-6


def test_dkd_rejects_bad_target():
    with pytest.raises(ValueError, match="class indices"):
        dkd_terms(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), 1.0)


# ---- IKL ----

def test_weighted_mse_matches_hand_double_sum():
    weights = [[0.2, 0.5, 0.3], [1.0, 0.25, 2.0]]  # general non-negative p, not normalised
    total = 0.0
    for sr, tr, p in zip(STUDENT, TEACHER, weights):
        for j in range(3):
            for k in range(3):
                total += 0.25 * p[j] * p[k] * ((tr[j] - tr[k]) - (sr[j] - sr[k])) ** 2
    s, t, _ = as_tensors()
    assert close(weighted_pairwise_mse(s, t, torch.tensor(weights)), total / len(STUDENT))


def explicit_wmse(s, t, p):
    """The (B, C, C) double sum, written out with broadcasting in float64."""
    s, t, p = s.double(), t.double(), p.double()
    pair_diff = (t[:, :, None] - t[:, None, :]) - (s[:, :, None] - s[:, None, :])
    w = p[:, :, None] * p[:, None, :]
    return 0.25 * (w * pair_diff.square()).sum() / s.shape[0]


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_weighted_mse_equals_explicit_double_sum(offset):
    s = torch.randn(5, 11) * 3 + offset
    t = torch.randn(5, 11) * 3 - offset
    p = torch.softmax(torch.randn(5, 11), 1)
    got = weighted_pairwise_mse(s, t, p)
    torch.testing.assert_close(got.double(), explicit_wmse(s, t, p), rtol=1e-4, atol=1e-5)


def test_weighted_mse_invariant_to_a_constant_per_sample():
    s, t = torch.randn(4, 8), torch.randn(4, 8)
    p = torch.softmax(torch.randn(4, 8), 1)
    shift_s, shift_t = torch.randn(4, 1) * 10, torch.randn(4, 1) * 10
    base = weighted_pairwise_mse(s, t, p)
    torch.testing.assert_close(weighted_pairwise_mse(s + shift_s, t + shift_t, p), base, rtol=1e-4, atol=1e-5)
    assert base.item() > 0


def test_weighted_mse_rejects_mismatched_weights():
    with pytest.raises(ValueError, match="weights"):
        weighted_pairwise_mse(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 4))


@pytest.mark.parametrize("temperature", [1.0, 4.0])
def test_sce_matches_hand_computation(temperature):
    total = 0.0
    for sr, tr in zip(STUDENT, TEACHER):
        pt, ps = softmax_list(tr, temperature), softmax_list(sr, temperature)
        total -= sum(a * math.log(b) for a, b in zip(pt, ps))
    s, t, _ = as_tensors()
    assert close(sce_loss(s, t, temperature), total / len(STUDENT))


# ---- classification ----

def test_soft_target_cross_entropy_matches_hand_computation():
    soft = [[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]]
    total = 0.0
    for sr, yr in zip(STUDENT, soft):
        ps = softmax_list(sr)
        total -= sum(a * math.log(b) for a, b in zip(yr, ps))
    s, _, _ = as_tensors()
    assert close(soft_target_cross_entropy(s, torch.tensor(soft)), total / 2)


def test_classification_loss_dispatches_on_label_shape():
    s, _, y = as_tensors()
    hand = -sum(math.log(softmax_list(r)[c]) for r, c in zip(STUDENT, TARGET)) / 2
    assert close(classification_loss(s, y), hand)
    assert close(classification_loss(s, F.one_hot(y, 3).float()), hand)
    with pytest.raises(ValueError, match="needs labels"):
        classification_loss(s, None)
    with pytest.raises(ValueError, match="1-D class indices or 2-D"):
        classification_loss(s, torch.zeros(2, 3, 1))


def test_hard_labels_take_the_argmax_of_soft_labels():
    assert hard_labels(torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])).tolist() == [1, 0]
    assert hard_labels(torch.tensor([2, 0])).tolist() == [2, 0]
