"""Split tokenization, distribution contraction and feature mixup against hand computations."""
import pytest
import torch

from gendd.tokens import contraction_target, draw_mixup, feature_mixup, merge_tokens, num_tokens, split_tokens


def test_split_layout_and_round_trip():
    B, N, d = 3, 4, 64
    features = torch.randn(B, N * d)
    tokens = split_tokens(features, d)
    assert tokens.shape == (B * N, d)
    for b in range(B):
        for k in range(N):
            assert torch.equal(tokens[b * N + k], features[b, k * d:(k + 1) * d])
    assert torch.equal(merge_tokens(tokens, N), features)


def test_indivisible_feature_dim_is_explained():
    with pytest.raises(ValueError, match=r"100 is not divisible by the token dimension 64"):
        split_tokens(torch.randn(2, 100))
    with pytest.raises(ValueError, match="divides 96"):
        num_tokens(96, 64)
    assert num_tokens(2048) == 32


def test_contraction_with_hard_labels():
    f_t, centres = torch.randn(3, 8), torch.randn(5, 8)
    labels = torch.tensor([4, 0, 4])
    got = contraction_target(f_t, labels, centres, smooth=0.7)
    for b, y in enumerate(labels.tolist()):
        torch.testing.assert_close(got[b], 0.3 * f_t[b] + 0.7 * centres[y])


def test_contraction_with_soft_labels():
    f_t, centres = torch.randn(2, 8), torch.randn(3, 8)
    soft = torch.tensor([[0.2, 0.0, 0.8], [1 / 3, 1 / 3, 1 / 3]])
    got = contraction_target(f_t, soft, centres, smooth=0.9)
    for b in range(2):
        centre = sum(soft[b, c] * centres[c] for c in range(3))
        torch.testing.assert_close(got[b], 0.1 * f_t[b] + 0.9 * centre)
    one_hot = torch.nn.functional.one_hot(torch.tensor([2, 0]), 3).float()
    torch.testing.assert_close(contraction_target(f_t, one_hot, centres, 0.9),
                               contraction_target(f_t, torch.tensor([2, 0]), centres, 0.9))


def test_no_labels_no_contraction():
    f_t = torch.randn(2, 8)
    assert contraction_target(f_t, None, torch.randn(3, 8), smooth=0.9) is f_t


def test_mixup_uses_one_m_and_one_permutation_for_both():
    B = 6
    z = torch.eye(B)  # one-hot rows reveal m and p: row b = m·e_b + (1−m)·e_{p(b)}
    target = torch.arange(B, dtype=torch.float32)[:, None] * torch.tensor([[1.0, 10.0]])
    mixed_z, mixed_target = feature_mixup(z, target, beta=1.0, generator=torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(3)
    m, perm = draw_mixup(B, 1.0, "cpu", gen)
    assert 0 < m < 1 and sorted(perm.tolist()) == list(range(B))
    for b in range(B):
        expected_z = m * z[b] + (1 - m) * z[perm[b]]
        torch.testing.assert_close(mixed_z[b], expected_z)
        torch.testing.assert_close(mixed_target[b], m * target[b] + (1 - m) * target[perm[b]])


def test_mixup_disabled_and_bad_beta():
    z, target = torch.randn(4, 3), torch.randn(4, 8)
    out_z, out_t = feature_mixup(z, target, beta=0.0)
    assert out_z is z and out_t is target
    with pytest.raises(ValueError, match="beta"):
        feature_mixup(z, target, beta=-1.0)


def test_mixup_coefficient_follows_beta():
    gen = torch.Generator().manual_seed(0)
    draws = torch.tensor([draw_mixup(2, 0.2, "cpu", gen)[0] for _ in range(2000)])
    # Beta(0.2, 0.2): mean 1/2, variance 1/(4(2β+1)) = 0.1786; mass piles near 0 and 1
    assert draws.mean().item() == pytest.approx(0.5, abs=0.03)
    assert draws.var().item() == pytest.approx(1 / (4 * 1.4), abs=0.02)
    torch.manual_seed(5)
    a = draw_mixup(4, 1.0, "cpu")
    torch.manual_seed(5)
    b = draw_mixup(4, 1.0, "cpu")
    assert a[0] == b[0] and torch.equal(a[1], b[1])  # torch's seed reproduces the global draw
