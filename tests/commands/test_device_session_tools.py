"""The device session's arithmetic: how many evaluations of each setting a plan runs, the recipe's
extrapolation from one measured epoch per stage, and the summary's figures from the parts' files."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from eval_cost import plan_evaluations  # noqa: E402
from recipe_time import extrapolate, launcher_epochs  # noqa: E402
from session_summary import headline  # noqa: E402

LAUNCHER = ROOT / "GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh"


def test_plans_count_their_evaluations():
    # epochs 1..239: the multiples of 10 (10, ..., 230) sample at the fast preset, the rest probe; 240: paper
    assert plan_evaluations(240, 10) == {"cheap": {"probe": 216, "fast preset": 23, "paper": 1},
                                         "original": {"original per-epoch": 240}}
    assert plan_evaluations(5, 0)["cheap"] == {"probe": 4, "fast preset": 0, "paper": 1}


def test_the_launcher_epochs_are_those_its_commands_run():
    assert launcher_epochs(LAUNCHER) == {"train_student_pretrain.py": 50, "train_student_gendd.py": 240}


def stage(folder: Path, train_s: float, eval_s: int):
    folder.mkdir(parents=True)
    (folder / "metrics.jsonl").write_text(json.dumps({"step": 1, "train_epoch/epoch_seconds": train_s}) + "\n")
    (folder / "log.txt").write_text(f"[2026-12-04 10-00-00] epoch 1: loss 1\n"
                                    f"[2026-12-04 10-00-{eval_s:02d}] eval epoch 1: top1 1\n")


def test_the_recipe_is_extrapolated_from_one_epoch_per_stage(tmp_path):
    stage(tmp_path / "student_pretrain" / "run", 6.0, 3)
    stage(tmp_path / "student_gendd" / "run", 12.0, 20)
    costs = {"plans": {"cheap": {"minutes": 1.5}, "original": {"minutes": 40.0}}}
    result = extrapolate(tmp_path, LAUNCHER, costs)
    training = (50 * (6.0 + 3) + 240 * 12.0) / 60
    assert result["training_minutes"] == pytest.approx(training)
    assert result["recipe_minutes"] == pytest.approx({"cheap": training + 1.5, "original": training + 40.0})
    measured = extrapolate(tmp_path, LAUNCHER, None)["recipe_minutes"]
    assert measured == pytest.approx({"measured evaluation every epoch": training + 240 * 20 / 60})


def test_the_summary_reads_ratios_and_marks_what_is_missing():
    steps = {"rows": [{"batch": 64, "method": "gendd", "step": "eager", "wall_ms": 22.0, "vs_eager": None},
                      {"batch": 64, "method": "gendd", "step": "captured", "wall_ms": 7.0, "vs_eager": 22.0 / 7.0}],
             "loss_gap": {"gendd captured": 1e-4}}
    text = "\n".join(headline(steps, None, {"recipe_minutes": {"cheap": 18.25}}, None))
    assert "| captured vs eager, GenDD, batch 64 | 3.14× | ≥ 3× |" in text
    assert "| compiled vs eager, GenDD, batch 64 | not measured |" in text
    assert "gendd captured 1.0e-04" in text and "| whole recipe, evaluations cheap (min) | 18.2 |" in text
    assert "| original implementation's step | not measured |" in text
