"""A new logit baseline is its loss and its distiller, registered, and nothing else: defined and
registered here only, it is a --distill choice of train_student_kd.py with its flag, trains
through that script's code path, has its flag's value refused before the run folder exists,
and is listed by ``python -m gendd.cli.methods``, the evidence report and the results table,
without any other file naming it."""
import pytest
import torch
import torch.nn.functional as F

from gendd.cli.methods import main as list_methods
from gendd.distillers.base import Distiller
from gendd.distillers.registry import _REGISTRY, _SETTINGS_TYPES, register, require_valid
from gendd.distillers.shared_flags import loss_weight
from gendd.engine.logger import read_metrics
from helpers.fault_tools import kd_args, refused, run_in_process

pytestmark = pytest.mark.slow
NAME = "l1kd"
RUN = f"student_{NAME}/S-resnet8_T-resnet8_cifar100_trial_0"


def l1_logit_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of the logits: the throwaway baseline's loss."""
    return (student_logits - teacher_logits.detach()).abs().mean()


FLAGS = (loss_weight("l1_weight", "L1-KD: weight of the L1 logit term", param="weight"),)


class L1KD(Distiller):
    """Losses {"ce": CE, "l1": weight·L1(student logits, teacher logits)}; counts its training steps."""
    steps = 0

    def __init__(self, student, teacher=None, weight: float = 0.5):
        super().__init__(student, teacher)
        require_valid(FLAGS, weight=weight)
        self.weight = weight

    def forward_train(self, images, labels):
        type(self).steps += 1
        _, teacher_logits = self.teacher_outputs(images)
        student_logits = self.student(images)
        return {"ce": F.cross_entropy(student_logits, labels), "l1": self.weight * l1_logit_loss(student_logits,
                                                                                                teacher_logits)}

    def graph_key(self) -> object:
        return None  # the step ignores the epoch


@pytest.fixture(scope="module")
def new_baseline():
    register(NAME, family="baseline", label="L1-KD", flags=FLAGS)(L1KD)
    yield NAME
    del _REGISTRY[NAME]
    _SETTINGS_TYPES.pop(NAME, None)


def test_the_new_baseline_trains_through_train_student_kd(new_baseline, world, tmp_path):
    L1KD.steps = 0
    code, out = run_in_process(kd_args(world, tmp_path, 1, "--distill", NAME, "--l1_weight", "0.25"))
    assert code == 0, out[-3000:]
    run = tmp_path / RUN
    assert (run / "final.pth").is_file() and "l1_weight: 0.25" in (run / "config.yaml").read_text()
    assert L1KD.steps >= 1
    logged = [row for row in read_metrics(run) if "train/l1" in row]
    assert logged and all(0 <= row["train/l1"] < float("inf") for row in logged)


def test_the_new_baseline_flag_is_checked_before_the_run_folder_exists(new_baseline, world, tmp_path):
    refused(kd_args(world, tmp_path / "save", 1, "--distill", NAME, "--l1_weight", "-1"), "--l1_weight -1.0",
            "is not a valid value", "non-negative")
    assert not (tmp_path / "save").exists()
    with pytest.raises(ValueError, match="weight must be a finite non-negative number"):
        L1KD(torch.nn.Linear(2, 2), weight=float("nan"))


def test_the_new_baseline_is_listed(new_baseline, world, tmp_path, capsys):
    list_methods(["--family", "baseline"])
    assert NAME in capsys.readouterr().out.split()
    from reports.evaluate_runs import scan_runs
    from reports.evidence import logit_rows
    assert ("L1-KD", NAME) in logit_rows()
    code, out = run_in_process(kd_args(world, tmp_path, 1, "--distill", NAME))
    assert code == 0, out[-3000:]
    finished, _ = scan_runs(str(tmp_path), "cifar100")
    assert [(method, run) for method, run, _ in finished] == [(NAME, str(tmp_path / RUN))]
