"""Mixed precision: ``--amp`` spellings, fp16 with a gradient scaler whose skipped steps are not
non-finite losses, its state in the checkpoint (exact resume), and fp16 refused under
--cuda_graph. Autocast applies on CUDA only; these tests enable it on the CPU, where torch has
float16 autocast and ``GradScaler("cpu")`` too, by adding "cpu" to ``AMP_DEVICES``."""
import pytest
import torch
import torch.nn.functional as F

from gendd.engine import CheckpointManager, DatasetSource, Preempted, TrainConfig, eval_loader, fit
from gendd.engine import amp as amp_module
from gendd.engine.amp import Precision, amp_mode, check_amp
from gendd.engine.dist import DistEnv
from gendd.engine.rundir import config_differences
from helpers.toys import ToyImages, ToyNet
from test_engine_training import SignalAfter, assert_same_weights
from helpers.lanes import slow_cases


@pytest.fixture
def amp_on_cpu(monkeypatch):
    monkeypatch.setattr(amp_module, "AMP_DEVICES", ("cuda", "cpu"))


class InfGradient(torch.autograd.Function):
    """Identity forward; backward returns an inf gradient (a finite loss whose gradient overflows)."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("inf")


def make_distiller(overflows):
    """Cross-entropy of a student whose gradient overflows on the batches ``overflows(epoch, labels)`` picks."""
    from gendd.distillers.base import Distiller

    class Overflowing(Distiller):
        def forward_train(self, images, labels):
            loss = F.cross_entropy(self.student(images).float(), labels)
            return {"ce": InfGradient.apply(loss) if overflows(self.epoch, labels) else loss}
    torch.manual_seed(0)
    return Overflowing(ToyNet(bn=True))


def train(run_dir, overflows, amp="fp16", source_wrapper=None, **kw):
    distiller = make_distiller(overflows)
    source = DatasetSource(ToyImages(n=40, augment=True), 4, seed=3)
    if source_wrapper:
        source = source_wrapper(source)
    cfg = TrainConfig(run_dir=str(run_dir), epochs=2, lr=0.05, optimizer="adamw", lr_schedule="cosine", seed=3,
                      log_every=2, amp=amp, **kw)
    summary = fit(distiller, source, eval_loader(ToyImages(n=8, seed=1), 4), cfg, DistEnv())
    return distiller, summary


def test_amp_spellings_and_legacy_records():
    from gendd_cifar.data_args import base_parser
    parse = lambda *a: base_parser("t").parse_args(list(a)).amp
    assert (parse(), parse("--amp"), parse("--amp", "bf16"), parse("--amp", "fp16")) == (False, "bf16", "bf16", "fp16")
    assert parse("--amp", "--num_workers", "0") == "bf16"     # as the launchers pass it (EXTRA_ARGS="... --amp")
    with pytest.raises(SystemExit):
        parse("--amp", "fp32")
    assert [amp_mode(v) for v in (None, False, True, "bf16", "fp16")] == [None, None, "bf16", "bf16", "fp16"]
    assert config_differences({"amp": True}, {"amp": "bf16"}) == []           # a run recorded with the old switch
    assert config_differences({"amp": True}, {"amp": "fp16"}) != []


def test_fp16_is_refused_under_cuda_graph_and_ignored_on_cpu(tmp_path):
    with pytest.raises(ValueError, match="--amp fp16 cannot run under --cuda_graph.*--amp bf16"):
        check_amp("fp16", cuda_graph=True)
    check_amp("bf16", cuda_graph=True)
    precision = Precision("fp16", torch.device("cpu"))
    assert precision.mode is None and precision.scaler is None and "ignored on cpu" in precision.notice()
    with pytest.raises(ValueError, match="cannot run under --cuda_graph"):
        train(tmp_path / "r", lambda epoch, labels: False, cuda_graph=True)
    assert not (tmp_path / "r").exists()


def test_scaled_step_equals_the_plain_step_and_skips_exactly_on_overflow(amp_on_cpu):
    torch.manual_seed(0)
    models = [torch.nn.Linear(6, 3) for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in models]
    x = torch.randn(5, 6)
    plain, scaled = Precision(None, torch.device("cpu")), Precision("fp16", torch.device("cpu"))
    for _ in range(3):   # S is a power of two: scaling and unscaling are exact, clipping sees true gradients
        assert plain.step(models[0](x).pow(2).mean(), opts[0], models[0].parameters(), grad_clip=0.1)
        assert scaled.step(models[1](x).pow(2).mean(), opts[1], models[1].parameters(), grad_clip=0.1)
        assert_same_weights(models[0].state_dict(), models[1].state_dict())
    before, scale = {k: v.clone() for k, v in models[1].state_dict().items()}, scaled.scaler.get_scale()
    assert not scaled.step(InfGradient.apply(models[1](x).pow(2).mean()), opts[1], models[1].parameters())
    assert_same_weights(before, models[1].state_dict())
    assert scaled.scaler.get_scale() == scale / 2


def test_scaler_skipped_steps_are_not_nonfinite_losses(tmp_path, amp_on_cpu):
    initial = {k: v.clone() for k, v in make_distiller(lambda *a: False).state_dict().items()}
    # every step of epoch 1 overflows: with max_nonfinite=1 a guard that counted them would stop at step 2
    distiller, summary = train(tmp_path / "run", lambda epoch, labels: epoch == 1, max_nonfinite=1)
    state = CheckpointManager(str(tmp_path / "run")).latest()[1]
    assert summary["nonfinite_steps_skipped"] == 0 and state["nonfinite_total"] == 0
    assert state["scaler_skipped_total"] >= 10 and state["scaler"]["scale"] <= 2.0 ** 16 / 2 ** 10
    assert any(not torch.equal(initial[k], v) for k, v in distiller.state_dict().items())   # epoch 2 trained
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "non-finite loss" not in log and "scaler_skipped_total" in log


def test_every_step_skipped_by_the_scaler_writes_no_final_checkpoint(tmp_path, amp_on_cpu):
    from gendd.engine import NonFiniteLoss
    with pytest.raises(NonFiniteLoss, match="fp16 gradient overflow"):
        train(tmp_path / "run", lambda epoch, labels: True)
    assert not (tmp_path / "run" / "final.pth").exists()


@pytest.mark.parametrize("k", slow_cases([7, 13], {13}))
def test_fp16_resume_restores_the_scaler_and_is_exact(tmp_path, amp_on_cpu, k):
    overflows = lambda epoch, labels: int(labels[0]) == 0       # about one batch in four, fixed by the data
    straight, s1 = train(tmp_path / "straight", overflows, save_every_steps=1, keep_last=40)
    with pytest.raises(Preempted):
        train(tmp_path / "cut", overflows, source_wrapper=lambda src: SignalAfter(src, k), save_every_steps=1,
                          keep_last=40)
    cut_state = CheckpointManager(str(tmp_path / "cut")).latest()[1]
    assert cut_state["scaler_skipped_total"] > 0 and cut_state["scaler"]["scale"] < 2.0 ** 16
    resumed, s2 = train(tmp_path / "cut", overflows, save_every_steps=1, keep_last=40)
    assert_same_weights(straight.state_dict(), resumed.state_dict())
    last = [CheckpointManager(str(tmp_path / name)).latest()[1] for name in ("straight", "cut")]
    assert last[0]["scaler"] == last[1]["scaler"] and last[0]["scaler_skipped_total"] == last[1]["scaler_skipped_total"]
    assert s1["last"] == s2["last"]


def test_scripts_refuse_fp16_under_cuda_graph_before_anything_is_written(tmp_path):
    from helpers.fault_tools import kd_args, make_world, refused
    world = make_world(tmp_path / "world")
    refused(kd_args(world, tmp_path / "save", 1, "--amp", "fp16", "--cuda_graph"),
            "--amp fp16 cannot run under --cuda_graph")
    assert not (tmp_path / "save").exists()


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fp16_on_cuda_scales_skips_and_resumes(tmp_path):
    """On the GPU (no patching): float16 autocast and the scaler apply, overflowing steps are scaler
    skips, and a pre-empted run resumes with the scaler's state."""
    overflows = lambda epoch, labels: int(labels[0]) == 0
    cuda = DistEnv(device=torch.device("cuda"))
    runs = {}
    for name, wrapper in (("straight", None), ("cut", lambda src: SignalAfter(src, 13))):
        distiller = make_distiller(overflows)
        source = DatasetSource(ToyImages(n=40, augment=True), 4, seed=3)
        cfg = TrainConfig(run_dir=str(tmp_path / name), epochs=2, lr=0.05, optimizer="adamw", seed=3,
                          lr_schedule="cosine", amp="fp16", save_every_steps=1, keep_last=40)
        if wrapper:
            with pytest.raises(Preempted):
                fit(distiller, wrapper(source), eval_loader(ToyImages(n=8, seed=1), 4), cfg, cuda)
            distiller = make_distiller(overflows)
        fit(distiller, source, eval_loader(ToyImages(n=8, seed=1), 4), cfg, cuda)
        runs[name] = (distiller.state_dict(), CheckpointManager(str(tmp_path / name)).latest()[1])
    (straight, s_state), (resumed, r_state) = runs["straight"], runs["cut"]
    assert s_state["scaler"]["scale"] < 2.0 ** 16 and s_state["scaler_skipped_total"] > 0
    assert s_state["nonfinite_total"] == 0
    assert r_state["scaler"] == s_state["scaler"]
    for k in straight:
        assert torch.allclose(straight[k].float(), resumed[k].float(), atol=1e-3), k
