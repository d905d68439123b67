"""No success with useless weights: a run ends with exit 0 and a final.pth only when training really
took place (gendd/engine/sanity.py: at most half of the steps skipped, weights finite and at most
1e8 in magnitude), and no best.pth is written from weights that break the rule. A teacher file
holding NaN is refused when it is loaded (both trees), naming the teacher, before the run folder
exists; non-finite weights the run does not train are blamed on the file they came from."""
import pathlib

import pytest
import torch

from gendd.engine import DatasetSource, NonFiniteLoss, TrainConfig, eval_loader, fit
from gendd.engine.dist import DistEnv
from gendd.engine.sanity import check_useful
from helpers.fault_tools import gendd_args, kd_args, kd_run_dir, refused, run, teacher_path
from helpers.imagenet_smoke import TREE, image_tree, teacher_file
from helpers.toys import CEDistiller, ToyImages, ToyNet

pytestmark = pytest.mark.slow
EXIT_NONFINITE = 3


def assert_no_usable_result(run_dir: pathlib.Path) -> None:
    """No final.pth or summary.json, and a best.pth (if any) with finite weights below the bound."""
    assert not (run_dir / "final.pth").exists() and not (run_dir / "summary.json").exists()
    if (run_dir / "best.pth").exists():
        for value in torch.load(run_dir / "best.pth", weights_only=False)["model"].values():
            if value.is_floating_point():
                assert torch.isfinite(value).all() and value.abs().max() <= 1e8


def test_a_learning_rate_far_too_high_is_no_success(world, tmp_path):
    """lr 1e20 on KD: most steps have a non-finite loss, but never 20 in a row; the weights that
    remain are finite (the largest, |student.fc.bias|, reaches 1.52e+18 on the CPU). Before the rule
    this exited 0 with such a final.pth."""
    res = run(kd_args(world, tmp_path, 2, "--learning_rate", "1e20"))
    assert res.returncode == EXIT_NONFINITE, res.stderr[-3000:]
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: training did not really take place: ") and "of 12 steps" in line, line
    assert "more than 50%" in line and "Lower the learning rate" in line
    run_dir = kd_run_dir(tmp_path)
    assert_no_usable_result(run_dir)
    assert list((run_dir / "checkpoints").glob("step_*.pth")), "the checkpoints are kept"


class Diverges(CEDistiller):
    """The loss −1e3·sum(fc.weight): finite at every step, it drives fc.weight up by lr·1e3 = 1e9
    a step (SGD lr 1e6, 4 steps: 4e9): no step is skipped, only the weight bound sees it."""

    def forward_train(self, images, labels):
        return {"ce": -1e3 * self.student.fc.weight.sum()}


class NaNInLoadedPart(CEDistiller):
    """A healthy student plus a frozen tensor it does not train, holding NaN (as GenDD's copy of
    a NaN teacher classifier would)."""

    def __init__(self, student):
        super().__init__(student)
        self.register_buffer("teacher_centres", torch.full((4, 8), float("nan")))


def toy_fit(distiller, run_dir, lr):
    torch.manual_seed(0)
    cfg = TrainConfig(run_dir=str(run_dir), epochs=1, lr=lr, optimizer="sgd", lr_schedule="step", milestones=(),
                      momentum=0.0, weight_decay=0.0)
    return fit(distiller, DatasetSource(ToyImages(n=16), 4, seed=3), eval_loader(ToyImages(n=4, seed=1), 4), cfg,
               DistEnv())


def test_finite_but_diverged_weights_are_no_success(tmp_path):
    with pytest.raises(NonFiniteLoss, match=r"the trained weights diverged: \|student.fc.weight\| reaches 4e\+09, "
                                            r"above 1e\+08"):
        toy_fit(Diverges(ToyNet()), tmp_path, lr=1e6)
    assert_no_usable_result(tmp_path)
    assert not (tmp_path / "best.pth").exists()


@pytest.mark.parametrize("nonfinite, overflowed, reason", [
    (0, 6, r"6 of 10 steps \(60 %\) were skipped by the fp16 gradient scaler \(gradient overflow\)"),
    (2, 4, r"6 of 10 steps \(60 %\) were skipped \(2 for a non-finite loss, 4 for an fp16 gradient overflow\)"),
    (6, 0, r"6 of 10 steps \(60 %\) had a non-finite loss and were skipped")])
def test_the_skipped_share_names_why_the_steps_were_skipped(nonfinite, overflowed, reason):
    """Fp16 scaler skips count toward the half-of-the-steps rule, and the message says they were
    overflows, not non-finite losses; half of the steps skipped is still a success."""
    healthy = CEDistiller(ToyNet())
    with pytest.raises(NonFiniteLoss, match=reason + ", more than 50%"):
        check_useful(healthy, 10, nonfinite, overflowed)
    check_useful(healthy, 12, nonfinite, overflowed)                # the same 6 skips of 12 steps: exactly half


def test_non_finite_weights_the_run_does_not_train_blame_the_loaded_file(tmp_path):
    with pytest.raises(NonFiniteLoss, match=r"weights this run does not train hold NaN or inf \(1 tensor\(s\), "
                                            r"e.g. teacher_centres\): they come from a loaded file, the teacher"):
        toy_fit(NaNInLoadedPart(ToyNet()), tmp_path, lr=0.1)
    assert not (tmp_path / "best.pth").exists() and not (tmp_path / "final.pth").exists()


def nan_teacher(source: pathlib.Path, target: pathlib.Path, key: str = "fc.weight") -> pathlib.Path:
    """A copy of the teacher file ``source`` with one NaN in its classifier ``key``."""
    state = torch.load(source, weights_only=False)
    weights = state["model"] if "model" in state else state
    weights[key][0, 0] = float("nan")
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, target)
    return target


@pytest.mark.parametrize("script", ["kd", "gendd"])
def test_a_teacher_holding_nan_is_refused_in_the_cifar_tree(world, tmp_path, script):
    bad = nan_teacher(teacher_path(world), tmp_path / "models" / "resnet8_vanilla" / "ckpt_epoch_240.pth")
    args = (kd_args if script == "kd" else gendd_args)(world, tmp_path / "save", 1)
    args[args.index("--path_t") + 1] = str(bad)
    refused(args, f"teacher '{bad}' holds NaN or inf in 1 tensor(s) (e.g. fc.weight)", "use an intact file")
    assert not (tmp_path / "save").exists()


def test_a_teacher_holding_nan_is_refused_in_the_imagenet_tree(tmp_path):
    image_tree(tmp_path / "data", 4, 2, [1] * 4, size=32)
    bad = nan_teacher(pathlib.Path(teacher_file(tmp_path / "good.pth", "MobileNetV1", 4)), tmp_path / "teacher.pth")
    args = ["main_kd.py", "--data", str(tmp_path / "data"), "--arch_t", "MobileNetV1", "--path_t", str(bad),
            "--model_s", "MobileNetV1", "--learning_rate", "0.01", "--save_dir", str(tmp_path / "save"),
            "--device", "cpu", "--num_workers", "0", "--image_size", "32", "--epochs", "1", "--batch_size", "4",
            "--skip_teacher_eval"]
    refused(args, f"teacher file '{bad}'", "holds NaN or inf in 1 tensor(s) (e.g. fc.weight)", tree=TREE)
    assert not (tmp_path / "save").exists()
