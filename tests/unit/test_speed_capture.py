"""Whole-step capture (--cuda_graph): the step program skips non-finite steps exactly through the
fused optimisers' found_inf and otherwise steps as torch does, the restructured step (static
program, device-side non-finite guard, deferred read-back) trains as the eager engine does, and
GenDD's device-side mixup draw has the right distribution. The CUDA graph itself is checked in
tests/cuda (the CUDA lane)."""
import contextlib
import json

import pytest
import torch

from gendd.engine import CheckpointManager, DatasetSource, Preempted, TrainConfig, eval_loader, fit
from gendd.engine.capture import StepProgram
from gendd.engine.dist import DistEnv
from gendd.engine.trainer import NonFiniteLoss
from gendd.tokens import draw_mixup_on_device
from helpers.toys import CEDistiller, ToyImages, ToyNet, tiny_device_draw_gendd
from helpers.lanes import slow_cases

CPU = DistEnv()


def close(a, b, rtol=1e-5):
    scale = b.abs().max().clamp(min=1e-6)
    assert (a - b).abs().max() <= rtol * scale, float((a - b).abs().max() / scale)


def fused(name, groups, **kw):
    return (torch.optim.SGD(groups, lr=0.1, momentum=0.9, fused=True, **kw) if name == "sgd"
            else torch.optim.AdamW(groups, lr=0.01, betas=(0.9, 0.95), fused=True, **kw))


class BNNet(torch.nn.Module):
    """Linear -> BatchNorm -> Tanh -> Linear: a forward changes buffers (BatchNorm statistics)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                                       torch.nn.Linear(4, 3))

    def forward(self, x, labels):
        loss = self.net(x).square().mean()
        return {"loss": loss * float("nan") if labels == "bad" else loss}


def snapshot(net, opt):
    """Weights, buffers and optimiser state; state not created yet counts as zeros (what a first step starts from)."""
    state = [opt.state[p].get(k, torch.zeros_like(p) if k != "step" else torch.zeros(()))
             for g in opt.param_groups for p in g["params"]
             for k in (("momentum_buffer",) if isinstance(opt, torch.optim.SGD) else ("step", "exp_avg", "exp_avg_sq"))]
    return [t.detach().clone() for t in list(net.parameters()) + list(net.buffers()) + state]


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_program_skips_a_nonfinite_step_exactly_and_otherwise_steps_as_torch(name):
    """Bad steps (first step included) leave weights, BatchNorm statistics and the optimiser state
    (momentum buffers; step, exp_avg, exp_avg_sq) bitwise as they were; good steps equal the
    plain torch step with the same fused optimiser, bitwise."""
    x = torch.randn(8, 5, generator=torch.Generator().manual_seed(1))
    runs = []
    for use_program in (False, True):
        torch.manual_seed(0)
        net = BNNet()
        opt = fused(name, [{"params": list(net.net[0].parameters()), "weight_decay": 5e-4},
                           {"params": list(net.net[3].parameters()), "weight_decay": 0.0}])
        program = StepProgram(net, net, opt, contextlib.nullcontext, grad_clip=1.0) if use_program else None
        for step, labels in enumerate(["bad", "ok", "ok", "bad", "bad", "ok"]):
            for g in opt.param_groups:  # the schedules change lr (and beta2) every step
                g["lr"] *= 0.8
                if name == "adamw":
                    g["betas"] = (0.9, 0.95 + 0.008 * step)
            before = snapshot(net, opt)
            if use_program:
                program(x, labels)
                assert bool(program.last_bad) == (labels == "bad")
            elif labels == "ok":
                opt.zero_grad()
                net(x, labels)["loss"].backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
            after = snapshot(net, opt)
            if labels == "bad" and use_program:
                assert all(torch.equal(a, b) for a, b in zip(after, before))
        runs.append(after)
        if use_program:
            assert int(program.counts["nonfinite"]) == 3 and int(program.counts["worst_run"]) == 2
            assert program.good_steps.item() == 3
    for a, b in zip(*runs):
        assert torch.equal(a, b)


def test_program_refuses_an_optimiser_without_found_inf():
    net = BNNet()
    with pytest.raises(ValueError, match="needs a fused SGD or AdamW"):
        StepProgram(net, net, torch.optim.AdamW(net.parameters(), foreach=True), contextlib.nullcontext)


class NaNAt(CEDistiller):
    """CE whose loss is NaN at the given forward calls (0-based), e.g. an overflow."""

    def __init__(self, student, bad_calls):
        super().__init__(student, noise=0.1)
        self.bad_calls, self.calls = set(bad_calls), 0

    def forward_train(self, images, labels):
        losses = super().forward_train(images, labels)
        if self.calls in self.bad_calls:
            losses = {"ce": losses["ce"] * float("nan")}
        self.calls += 1
        return losses


def train(run_dir, cuda_graph, bad_calls=(), wrap=None, **kw):
    torch.manual_seed(0)
    distiller = NaNAt(ToyNet(bn=True, dropout=0.2), bad_calls)
    source = DatasetSource(ToyImages(n=40, augment=True), 4, seed=3, rank=0, world_size=1, num_workers=0)
    source = wrap(source) if wrap else source
    evalset = eval_loader(ToyImages(n=13, seed=1), 5, 0, 1)
    cfg = dict(run_dir=str(run_dir), epochs=2, lr=0.1, optimizer="sgd", weight_decay=5e-4, lr_schedule="step",
               milestones=(1,), warmup_epochs=0.5, seed=3, log_every=3, cuda_graph=cuda_graph, grad_clip=1.0)
    summary = fit(distiller, source, evalset, TrainConfig(**(cfg | kw)), CPU)
    return distiller.state_dict(), summary


def metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("bad_calls", slow_cases([(), (4, 5, 13)], {()}))
def test_captured_program_trains_as_the_eager_engine(tmp_path, bad_calls):
    eager, eager_summary = train(tmp_path / "eager", False, bad_calls)
    captured, summary = train(tmp_path / "captured", True, bad_calls)
    assert eager.keys() == captured.keys()
    for k in eager:  # BatchNorm statistics included: bad steps restore them
        close(captured[k].float(), eager[k].float())
    assert summary["nonfinite_steps_skipped"] == eager_summary["nonfinite_steps_skipped"] == len(bad_calls)
    assert summary["last"]["top1"] == eager_summary["last"]["top1"]
    train_rows = [m for m in metrics(tmp_path / "captured") if any(k.startswith("train/ce") for k in m)]
    eager_rows = [m for m in metrics(tmp_path / "eager") if any(k.startswith("train/ce") for k in m)]
    assert [m.get("step") for m in train_rows] == [m.get("step") for m in eager_rows]
    assert "no CUDA device" in (tmp_path / "captured" / "log.txt").read_text()


@pytest.mark.parametrize("resume_captured", [False, True])
def test_a_captured_run_resumes_bitwise_in_either_engine_from_one_optimiser_state(tmp_path, resume_captured):
    """A skipped step (global step 5), a cut mid-epoch (SIGTERM at global step 13), resumed by the
    captured or the eager engine: the weights equal the uninterrupted captured run's bitwise; the
    checkpoint's optimiser state has the eager engine's layout."""
    from test_engine_training import SignalAfter
    straight, _ = train(tmp_path / "straight", True, bad_calls=(4,))
    with pytest.raises(Preempted, match="checkpoint saved"):
        train(tmp_path / "cut", True, bad_calls=(4,), wrap=lambda source: SignalAfter(source, 13))
    captured_ckpt = CheckpointManager(str(tmp_path / "cut")).latest()[1]
    with pytest.raises(Preempted):
        train(tmp_path / "eager_cut", False, bad_calls=(4,), wrap=lambda source: SignalAfter(source, 13))
    eager_ckpt = CheckpointManager(str(tmp_path / "eager_cut")).latest()[1]
    assert captured_ckpt["global_step"] == eager_ckpt["global_step"] == 13
    layout = [(g.keys(), [sorted(captured_ckpt["optimizer"]["state"][i]) for i in g["params"]])
              for g in captured_ckpt["optimizer"]["param_groups"]]
    assert layout == [(g.keys(), [sorted(eager_ckpt["optimizer"]["state"][i]) for i in g["params"]])
                      for g in eager_ckpt["optimizer"]["param_groups"]]
    resumed, _ = train(tmp_path / "cut", resume_captured)  # the new process counts calls from 0: no NaN again
    for k in straight:
        assert torch.equal(resumed[k], straight[k]), k


def test_consecutive_nonfinite_steps_stop_training_at_the_read_back(tmp_path):
    # bad from global step 3 on; the host looks every 3 steps: at step 6 it sees 4 in a row (>= 3)
    with pytest.raises(NonFiniteLoss, match="4 consecutive non-finite losses by global step 6"):
        train(tmp_path / "run", True, bad_calls=range(2, 40), max_nonfinite=3)


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_gendd_program_equals_the_eager_step_for_the_same_draws(name):
    """Same weights to float32 rounding. AdamW with eps 1e-3: with the default 1e-8 its division
    by sqrt(v) turns the rounding of near-zero gradients (zero-initialised adaLN) into
    updates of either sign, which no tolerance separates from a bug."""
    images, labels = torch.randn(6, 10), torch.randint(0, 7, (6,))
    results = []
    for use_program in (False, True):
        model = tiny_device_draw_gendd().train()
        opt = (torch.optim.AdamW(model.param_groups(5e-4), lr=1e-2, eps=1e-3, fused=True) if name == "adamw"
               else torch.optim.SGD(model.param_groups(5e-4), lr=0.1, momentum=0.9, fused=True))
        program = StepProgram(model, model, opt, contextlib.nullcontext)
        torch.manual_seed(7)
        for _ in range(3):
            if use_program:
                program(images, labels)
            else:
                losses = model(images, labels)
                opt.zero_grad()
                sum(losses.values()).backward()
                opt.step()
        results.append({k: v.clone() for k, v in model.state_dict().items()})
    eager, captured = results
    for k in eager:
        torch.testing.assert_close(captured[k].float(), eager[k].float(), rtol=1e-5, atol=1e-6)
    assert (eager["head.final_layer.linear.weight"] != 0).any()


def test_device_mixup_draw_is_a_beta_weight_and_a_permutation():
    torch.manual_seed(0)
    draws = [draw_mixup_on_device(16, 1.0, "cpu") for _ in range(4000)]
    m = torch.stack([d[0] for d in draws])
    assert ((m > 0) & (m < 1)).all()
    assert abs(m.mean().item() - 0.5) < 0.02 and abs(m.var().item() - 1 / 12) < 0.01  # Beta(1, 1): uniform
    for _, perm in draws[:50]:
        assert torch.equal(perm.sort().values, torch.arange(16))
    assert len({tuple(p.tolist()) for _, p in draws[:50]}) == 50
    with pytest.raises(ValueError, match="beta > 0"):
        draw_mixup_on_device(4, 0.0, "cpu")


def test_cifar_gendd_script_with_cuda_graph_trains_on_the_cpu_with_a_notice(tmp_path):
    from helpers.fault_tools import gendd_args, gendd_run_dir, make_world, run_in_process
    world = make_world(tmp_path / "world")
    code, out = run_in_process(gendd_args(world, tmp_path / "save", 1, "--cuda_graph", "--gpu_data"))
    assert code == 0, out
    run = gendd_run_dir(tmp_path / "save")
    assert "no CUDA device, the captured step's program runs eagerly" in (run / "log.txt").read_text()
    assert json.loads((run / "summary.json").read_text())["global_step"] == 6
    assert "cuda_graph: 'on'" in (run / "config.yaml").read_text()
