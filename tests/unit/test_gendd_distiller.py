"""GenDD stage 2 and stage 1 distillers on a toy student/teacher pair."""
from functools import partial

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gendd.distillers.gendd as gendd_module
from gendd.distillers import build
from gendd.distillers.gendd import GenDD
from gendd.distillers.gendd_pretrain import GenDDPretrain, student_state_from_pretrain
from gendd.tokens import merge_tokens, split_tokens
from helpers.toys import LinearToy

IN, DS, DT, C = 10, 24, 128, 7  # N = DT / 64 = 2 tokens


Toy = partial(LinearToy, IN, classes=C)  # Toy(feature dim) with the student/teacher contract


def make(**kwargs):
    options = dict(smooth=0.7, diffusion_batch_mul=3, width=32, depth=2, mixup_beta=0.0)
    options.update(kwargs)
    return GenDD(Toy(DS), Toy(DT), **options)


def wake_head(model):
    """Leave the zero init (which blocks every gradient behind the final layer) as training would."""
    with torch.no_grad():
        for p in model.head.parameters():
            p.add_(0.05 * torch.randn_like(p))


def grads(module):
    return [p.grad for p in module.parameters()]


def test_registered_and_loss_terms_finite():
    model = build("gendd", Toy(DS), Toy(DT), smooth=0.7, width=32, depth=2, diffusion_batch_mul=2)
    losses = model(torch.randn(4, IN), torch.randint(0, C, (4,)))
    assert set(losses) == {"diffusion", "probe_ce"}
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values())


def test_gradients_flow_only_where_the_spec_says():
    model = make(mixup_beta=1.0)
    wake_head(model)
    x, y = torch.randn(5, IN), torch.randint(0, C, (5,))
    losses = model(x, y)
    losses["diffusion"].backward(retain_graph=True)
    assert all(g is not None and g.abs().max() > 0 for g in grads(model.student.body))
    assert all(g is None for g in grads(model.student.fc))  # the probe sees f_s.detach() only
    assert all(g is not None and g.abs().max() > 0 for g in grads(model.projector))
    body_grads = [g.clone() for g in grads(model.student.body)]
    model.zero_grad(set_to_none=True)
    losses["probe_ce"].backward()
    assert all(g is not None and g.abs().max() > 0 for g in grads(model.student.fc))
    assert all(g is None for g in grads(model.student.body))
    assert all(g is None for g in grads(model.head)) and body_grads


def test_teacher_layer_and_centres_are_frozen_copies():
    teacher = Toy(DT)
    model = GenDD(Toy(DS), teacher, width=32, depth=2)
    assert not any(p.requires_grad for p in model.teacher_fc.parameters())
    assert torch.equal(model.teacher_fc.weight, teacher.fc.weight)
    assert torch.equal(model.teacher_fc.bias, teacher.fc.bias)
    assert "cls_centers" in dict(model.named_buffers()) and not model.cls_centers.requires_grad
    assert torch.equal(model.cls_centers, teacher.fc.weight)
    assert model.cls_centers.data_ptr() != model.teacher_fc.weight.data_ptr()
    assert model.teacher_fc.weight.data_ptr() != teacher.fc.weight.data_ptr()
    assert not any(k.startswith("teacher.") for k in model.state_dict())  # teacher kept out


def test_row_layout_of_tokens_and_repeats():
    model = make(diffusion_batch_mul=3)
    B, N, M = 4, 2, 3
    z, target = torch.randn(B, DS), torch.randn(B, DT)
    x0, cond, index = model.build_rows(z, target)
    assert x0.shape == (M * B * N, 64) and cond.shape == (M * B * N, DS) and index.shape == (M * B * N,)
    for r in range(M):
        for b in range(B):
            for k in range(N):
                row = r * B * N + b * N + k
                assert torch.equal(x0[row], target[b, 64 * k:64 * (k + 1)])
                assert torch.equal(cond[row], z[b]) and index[row] == k


def test_condition_dropout_is_per_row():
    model = make(cond_drop_prob=0.5)
    cond = torch.ones(4000, 3)
    dropped = model.drop_conditions(cond)
    zero_rows = (dropped.abs().sum(1) == 0)
    assert ((dropped == 1).all(1) | zero_rows).all()
    assert zero_rows.float().mean().item() == pytest.approx(0.5, abs=0.04)
    assert torch.equal(make(cond_drop_prob=0.0).drop_conditions(cond), cond)
    always = make(cond_drop_prob=0.5)
    always.cond_drop_prob = 1.0   # no flag value (guidance needs kept rows: the rule is [0, 1)), the row draw's limit
    assert always.drop_conditions(cond).abs().max() == 0
    with pytest.raises(ValueError, match=r"cond_drop_prob must lie in \[0, 1\), got 1.0"):
        make(cond_drop_prob=1.0)


def capture_training_rows(model, monkeypatch):
    seen = {}
    original = model.diffusion.training_losses

    def spy(net_fn, x0, t, noise=None):
        seen.update(x0=x0, t=t)
        return original(net_fn, x0, t, noise)

    monkeypatch.setattr(model.diffusion, "training_losses", spy)
    return seen


def test_train_forward_targets_with_and_without_labels(monkeypatch):
    model = make(smooth=0.7, diffusion_batch_mul=2, cond_drop_prob=0.0)
    seen = capture_training_rows(model, monkeypatch)
    x, y = torch.randn(3, IN), torch.tensor([1, 6, 1])
    f_t = model.teacher.forward_features(x)
    model(x, y)
    expected = 0.3 * f_t + 0.7 * model.teacher.fc.weight[y]
    torch.testing.assert_close(seen["x0"], split_tokens(expected).repeat(2, 1))
    assert seen["t"].min() >= 0 and seen["t"].max() < 1000 and seen["t"].shape == (2 * 3 * 2,)
    losses = model(x, None)
    assert set(losses) == {"diffusion"}
    torch.testing.assert_close(seen["x0"], split_tokens(f_t.detach()).repeat(2, 1))


def test_soft_labels_give_soft_target_ce():
    model = make()
    x = torch.randn(4, IN)
    soft = torch.softmax(torch.randn(4, C), 1)
    losses = model(x, soft)
    logits = model.student.fc(model.student.forward_features(x))
    expected = -(soft * torch.log_softmax(logits, 1)).sum(1).mean()
    torch.testing.assert_close(losses["probe_ce"], expected)


def test_eval_returns_sampled_and_probe_logits():
    model = make().eval()
    model.sampling.steps, model.sampling.num_sampling = 5, 2
    x = torch.randn(3, IN)
    torch.manual_seed(11)
    out = model(x)
    assert set(out) == {"sampled", "probe"} and out["sampled"].shape == (3, C) and out["probe"].shape == (3, C)
    torch.testing.assert_close(out["probe"], model.student(x))
    torch.manual_seed(11)
    f_hat = model.sample_features(model.projector(model.student.forward_features(x)))
    torch.testing.assert_close(out["sampled"], f_hat @ model.teacher_fc.weight.T + model.teacher_fc.bias)
    model.sampling.num_sampling = 0
    assert set(model(x)) == {"probe"}
    model.sampling.sampler = "ddim"
    model.sampling.num_sampling = 1
    assert model(x)["sampled"].shape == (3, C)
    model.sampling.sampler = "plms"
    with pytest.raises(ValueError, match="unknown sampler"):
        model(x)


def test_sampled_feature_averages_draws_in_row_layout(monkeypatch):
    model = make().eval()
    model.sampling.num_sampling, model.sampling.steps = 3, 4
    monkeypatch.setattr(gendd_module, "ancestral_sample", lambda diffusion, net, noise, *args: noise)
    z = torch.randn(2, DS)
    f_hat = model.sample_features(z, generator=torch.Generator().manual_seed(0))
    noise = torch.randn((3 * 2 * 2, 64), generator=torch.Generator().manual_seed(0))
    expected = merge_tokens(noise, 2).reshape(3, 2, DT).mean(0)  # rows s·B·N + b·N + k
    torch.testing.assert_close(f_hat, expected)


def test_constructible_without_teacher():
    layer = nn.Linear(DT, C)
    model = GenDD(Toy(DS), teacher_fc=layer, width=32, depth=2)
    assert torch.equal(model.teacher_fc.weight, layer.weight) and model.teacher is None
    empty = GenDD(Toy(DS), teacher_fc=(C, DT), width=32, depth=2)
    assert empty.teacher_fc.weight.shape == (C, DT) and empty.cls_centers.shape == (C, DT)
    empty.eval()
    empty.sampling.steps = 3
    assert empty(torch.randn(2, IN))["sampled"].shape == (2, C)
    empty.train()
    with pytest.raises(RuntimeError, match="without a teacher"):
        empty(torch.randn(2, IN), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="either a teacher"):
        GenDD(Toy(DS), Toy(DT), teacher_fc=layer)
    with pytest.raises(ValueError, match="not divisible"):
        GenDD(Toy(DS), teacher_fc=(C, 100))


def test_param_groups_put_zero_decay_exactly_on_the_head():
    model = make()
    groups = model.param_groups(0.05)
    decay = {g["weight_decay"]: {id(p) for p in g["params"]} for g in groups}
    assert decay[0.0] == {id(p) for p in model.head.parameters()}
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert decay[0.05] == trainable - decay[0.0]
    assert {id(p) for p in model.student.parameters()} <= decay[0.05]
    assert {id(p) for p in model.projector.parameters()} <= decay[0.05]
    assert not {id(p) for p in model.teacher_fc.parameters()} & (decay[0.05] | decay[0.0])


# ---- stage 1 ------------------------------------------------------------------------
def test_pretrain_logits_loss_and_frozen_layers():
    student, teacher = Toy(DS), Toy(DT)
    model = build("gendd_pretrain", student, teacher)
    assert isinstance(model.proj, nn.Linear) and (model.proj.in_features, model.proj.out_features) == (DS, DT)
    x, y = torch.randn(4, IN), torch.randint(0, C, (4,))
    losses = model(x, y)
    logits = model.teacher_fc(model.proj(student.forward_features(x)))
    torch.testing.assert_close(losses["ce"], F.cross_entropy(logits, y))
    losses["ce"].backward()
    assert not student.fc.weight.requires_grad and student.fc.weight.grad is None
    assert not model.teacher_fc.weight.requires_grad
    assert student.body.weight.grad.abs().max() > 0 and model.proj.weight.grad.abs().max() > 0
    soft = torch.softmax(torch.randn(4, C), 1)
    expected = -(soft * torch.log_softmax(model.logits(x), 1)).sum(1).mean()
    torch.testing.assert_close(model(x, soft)["ce"], expected)
    assert isinstance(GenDDPretrain(Toy(DT), teacher).proj, nn.Identity)
    model.eval()
    torch.testing.assert_close(model(x), logits)


def test_student_state_from_stage1_module_and_files(tmp_path):
    model = GenDDPretrain(Toy(DS), Toy(DT))
    state = student_state_from_pretrain(model)
    assert set(state) == {"body.weight", "body.bias", "fc.weight", "fc.bias"}
    ours = tmp_path / "stage1.pth"
    torch.save({"model": model.state_dict(), "epoch": 3}, ours)
    from_file = student_state_from_pretrain(ours)
    assert all(torch.equal(from_file[k], state[k]) for k in state) and set(from_file) == set(state)
    reference = {"module.model." + k: v for k, v in state.items()}
    reference.update({"module.classifier.weight": torch.zeros(C, DT), "module.proj.weight": torch.zeros(DT, DS)})
    from_reference = student_state_from_pretrain({"state_dict": reference, "epoch": 1})
    assert set(from_reference) == set(state)
    fresh = Toy(DS)
    fresh.load_state_dict(from_reference)
    with pytest.raises(Exception, match="no student weights"):
        student_state_from_pretrain({"model": {"proj.weight": torch.zeros(2, 2)}})
