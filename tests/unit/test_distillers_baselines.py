"""Baseline distillers (vanilla, kd, dkd, ikl): loss terms, warm-up, frozen fc, IKL's GI prior."""
import copy
import math

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn

from gendd import distillers
from gendd.losses import dkd_terms
from helpers.toys import LinearToy

NUM_CLASSES = 4


def Toy(in_dim=6, feat_dim=5, num_classes=NUM_CLASSES):
    """Linear -> ReLU features, then fc: the model contract in miniature."""
    return LinearToy(in_dim, feat_dim, num_classes, activation=torch.relu)


def make_pair(seed=0):
    torch.manual_seed(seed)
    return Toy(feat_dim=5), Toy(feat_dim=7)


def batch(n=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g) * 2, torch.randint(0, NUM_CLASSES, (n,), generator=g)


def explicit_kl(student_logits, teacher_logits, temperature):
    q_t = torch.softmax(teacher_logits / temperature, 1)
    q_s = torch.softmax(student_logits / temperature, 1)
    return (q_t * (q_t.log() - q_s.log())).sum() / len(q_t) * temperature**2


def explicit_wmse(s, t, p):
    pair = (t[:, :, None] - t[:, None, :]) - (s[:, :, None] - s[:, None, :])
    return 0.25 * (p[:, :, None] * p[:, None, :] * pair.square()).sum() / len(s)


def explicit_sce(s, t, temperature):
    return -(torch.softmax(t / temperature, 1) * torch.log_softmax(s / temperature, 1)).sum() / len(s)


BUILDERS = {
    "vanilla": ({}, {"ce"}),
    "kd": ({}, {"ce", "kd"}),
    "dkd": ({}, {"ce", "dkd"}),
    "ikl": ({}, {"ce", "ikl"}),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_loss_keys_and_eval_logits(name):
    kwargs, keys = BUILDERS[name]
    student, teacher = make_pair()
    d = distillers.build(name, student, teacher, **kwargs)
    x, y = batch()
    losses = d.train()(x, y)
    assert set(losses) == keys
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert student.body.weight.grad is not None
    with torch.no_grad():
        torch.testing.assert_close(d.eval()(x), student(x))
    assert all(k.startswith("student.") for k in d.state_dict())


def test_vanilla_needs_no_teacher_and_handles_soft_labels():
    student, _ = make_pair()
    d = distillers.build("vanilla", student).train()
    x, y = batch()
    torch.testing.assert_close(d(x, y)["ce"], F.cross_entropy(student(x), y))
    soft = torch.softmax(torch.randn(len(x), NUM_CLASSES), 1)
    expected = -(soft * torch.log_softmax(student(x), 1)).sum(1).mean()
    torch.testing.assert_close(d(x, soft)["ce"], expected)


def test_kd_terms_equal_weighted_ce_and_kl():
    student, teacher = make_pair()
    d = distillers.build("kd", student, teacher, ce_weight=0.5, kd_weight=0.5, temperature=1.0).train()
    x, y = batch()
    losses = d(x, y)
    with torch.no_grad():
        s, t = student(x), teacher(x)
    torch.testing.assert_close(losses["ce"].detach(), 0.5 * F.cross_entropy(s, y))
    torch.testing.assert_close(losses["kd"].detach(), 0.5 * explicit_kl(s, t, 1.0))


def test_unsupervised_kd_without_labels():
    student, teacher = make_pair()
    d = distillers.build("kd", student, teacher, ce_weight=0.0, kd_weight=1.0, temperature=1.0).train()
    x, _ = batch()
    losses = d(x, None)
    assert set(losses) == {"kd"}
    with torch.no_grad():
        torch.testing.assert_close(losses["kd"].detach(), explicit_kl(student(x), teacher(x), 1.0))
    supervised = distillers.build("kd", *make_pair()).train()
    with pytest.raises(ValueError, match="ce_weight"):
        supervised(x, None)


def test_kd_train_fc_false_freezes_fc_and_drops_it_from_param_groups():
    student, teacher = make_pair()
    d = distillers.build("kd", student, teacher, ce_weight=0.0, kd_weight=1.0, temperature=1.0, train_fc=False)
    assert not student.fc.weight.requires_grad and not student.fc.bias.requires_grad
    grouped = {id(p) for g in d.param_groups(1e-4) for p in g["params"]}
    assert grouped == {id(student.body.weight), id(student.body.bias)}
    x, _ = batch()
    d.train()(x, None)["kd"].backward()
    assert student.fc.weight.grad is None and student.body.weight.grad is not None
    assert "student.fc.weight" in d.state_dict()


def test_teacherless_training_raises():
    d = distillers.build("kd", make_pair()[0]).train()
    with pytest.raises(RuntimeError, match="without a teacher"):
        d(*batch())


@pytest.mark.parametrize("name,term", [("dkd", "dkd"), ("ikl", "ikl")])
def test_warmup_weights(name, term):
    student, teacher = make_pair()
    d = distillers.build(name, student, teacher).train()
    x, y = batch()
    values = {}
    for epoch in (1, 10, 20, 30):
        d.start_epoch(epoch)
        losses = d(x, y)
        values[epoch] = (losses["ce"].item(), losses[term].item())
    full = values[30][1]
    assert full > 0
    for epoch, expected in ((1, 0.05), (10, 0.5), (20, 1.0), (30, 1.0)):
        assert values[epoch][1] == pytest.approx(expected * full, rel=1e-6)
        assert values[epoch][0] == pytest.approx(values[30][0], rel=1e-7)


def test_dkd_term_is_alpha_tckd_plus_beta_nckd():
    student, teacher = make_pair()
    d = distillers.build("dkd", student, teacher, alpha=1.0, beta=2.0, temperature=4.0, warmup_epochs=1).train()
    x, y = batch()
    got = d(x, y)["dkd"]
    with torch.no_grad():
        tckd, nckd = dkd_terms(student(x), teacher(x), y, 4.0)
    torch.testing.assert_close(got.detach(), tckd + 2.0 * nckd)


def test_ikl_without_gi_weights_pairs_by_teacher_softmax():
    student, teacher = make_pair()
    d = distillers.build("ikl", student, teacher, alpha=3.0, beta=12.0, temperature2=100.0, warmup_epochs=1)
    x, y = batch()
    got = d.train()(x, y)["ikl"].detach()
    with torch.no_grad():
        s, t = student(x), teacher(x)
    expected = 12.0 * explicit_wmse(s, t, torch.softmax(t / 100.0, 1)) + 3.0 * explicit_sce(s, t, 4.0)
    torch.testing.assert_close(got, expected)
    assert not any("prior" in k for k in d.state_dict())


# ---- IKL's GI class prior ----

T2 = 2.0


def gi_data():
    """12 samples over classes 0-2 (class 3 never seen), three batches of 4."""
    g = torch.Generator().manual_seed(5)
    x = torch.randn(12, 6, generator=g) * 2
    y = torch.tensor([0, 1, 2, 0, 1, 1, 2, 0, 0, 2, 1, 0])
    return x, y


def expected_prior(teacher, x, y, previous):
    """Per-class mean of softmax(teacher(x)/T2), by explicit loop; unseen classes keep `previous`."""
    with torch.no_grad():
        probs = torch.softmax(teacher(x) / T2, 1)
    prior = previous.clone()
    for c in range(NUM_CLASSES):
        rows = [probs[i] for i in range(len(y)) if y[i] == c]
        if rows:
            prior[c] = torch.stack(rows).sum(0) / len(rows)
    return prior


def gi_distiller(seed=0):
    student, teacher = make_pair(seed)
    return distillers.build("ikl", student, teacher, temperature2=T2, gi=True, warmup_epochs=1).train()


def test_gi_prior_is_uniform_in_epoch_one_and_used_as_weights():
    d = gi_distiller()
    x, y = gi_data()
    torch.testing.assert_close(d.class_prior, torch.full((NUM_CLASSES, NUM_CLASSES), 1 / NUM_CLASSES))
    got = d(x, y)["ikl"].detach()
    with torch.no_grad():
        s, t = d.student(x), d.teacher(x)
    uniform = torch.full_like(s, 1 / NUM_CLASSES)
    torch.testing.assert_close(got, 8.0 * explicit_wmse(s, t, uniform) + explicit_sce(s, t, 4.0))


def test_gi_prior_after_end_epoch_is_the_per_class_mean_teacher_softmax():
    d = gi_distiller()
    x, y = gi_data()
    for i in range(0, 12, 4):
        d(x[i:i + 4], y[i:i + 4])
    d.end_epoch(1)
    uniform = torch.full((NUM_CLASSES, NUM_CLASSES), 1 / NUM_CLASSES)
    expected = expected_prior(d.teacher, x, y, uniform)
    torch.testing.assert_close(d.class_prior, expected)
    assert torch.equal(d.class_prior[3], uniform[3])
    assert d.prior_sum.abs().sum() == 0 and d.prior_count.sum() == 0
    # epoch 2 weighs sample pairs by the prior row of its label
    d.start_epoch(2)
    got = d(x, y)["ikl"].detach()
    with torch.no_grad():
        s, t = d.student(x), d.teacher(x)
    torch.testing.assert_close(got, 8.0 * explicit_wmse(s, t, expected[y]) + explicit_sce(s, t, 4.0))


def test_gi_prior_with_soft_labels_uses_the_argmax_row():
    d = gi_distiller()
    x, y = gi_data()
    soft = 0.7 * F.one_hot(y, NUM_CLASSES).float() + 0.1
    losses = d(x, soft)
    with torch.no_grad():
        expected_ce = -(soft * torch.log_softmax(d.student(x), 1)).sum(1).mean()
    torch.testing.assert_close(losses["ce"].detach(), expected_ce)
    d.end_epoch(1)
    uniform = torch.full((NUM_CLASSES, NUM_CLASSES), 1 / NUM_CLASSES)
    torch.testing.assert_close(d.class_prior, expected_prior(d.teacher, x, y, uniform))


def test_gi_prior_survives_a_mid_epoch_state_dict_round_trip():
    x, y = gi_data()
    uninterrupted = gi_distiller()
    for i in range(0, 12, 4):
        uninterrupted(x[i:i + 4], y[i:i + 4])
    uninterrupted.end_epoch(1)

    first = gi_distiller()
    first(x[:8], y[:8])
    saved = copy.deepcopy(first.state_dict())
    assert "prior_sum" in saved and "prior_count" in saved and "class_prior" in saved
    student, teacher = Toy(feat_dim=5), first.teacher  # fresh student weights: all must come from `saved`
    resumed = distillers.build("ikl", student, teacher, temperature2=T2, gi=True, warmup_epochs=1).train()
    resumed.load_state_dict(saved)
    resumed(x[8:], y[8:])
    resumed.end_epoch(1)
    torch.testing.assert_close(resumed.class_prior, uninterrupted.class_prior)


def _gi_rank(rank, world, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        d = gi_distiller()
        model = nn.parallel.DistributedDataParallel(d)  # must not broadcast the accumulators
        x, y = gi_data()
        mine_x, mine_y = x[rank::world], y[rank::world]
        for i in range(0, len(mine_x), 3):
            losses = model(mine_x[i:i + 3], mine_y[i:i + 3])
            sum(losses.values()).backward()
        d.end_epoch(1)
        torch.save(d.class_prior.clone(), f"{out_dir}/prior{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_gi_prior_all_reduce_over_two_processes(tmp_path):
    mp.spawn(_gi_rank, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    d = gi_distiller()
    x, y = gi_data()
    uniform = torch.full((NUM_CLASSES, NUM_CLASSES), 1 / NUM_CLASSES)
    expected = expected_prior(d.teacher, x, y, uniform)
    for rank in range(2):
        torch.testing.assert_close(torch.load(tmp_path / f"prior{rank}.pt"), expected)


def test_bad_configuration_is_rejected():
    student, teacher = make_pair()
    with pytest.raises(ValueError, match="warmup_epochs"):
        distillers.build("dkd", student, teacher, warmup_epochs=0)
    with pytest.raises(ValueError, match="temperature2"):
        distillers.build("ikl", student, teacher, temperature2=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        distillers.build("kd", student, teacher, ce_weight=-1.0)
    assert math.isclose(distillers.build("kd", student, teacher).temperature, 4.0)
