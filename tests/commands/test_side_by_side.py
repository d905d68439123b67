"""sh/side_by_side.sh: several runs of the launchers at once (trials are seeds), each its own
process, port and log; both run folders are written, a failed run is named, bad input exits 2."""
import subprocess

import pytest

from helpers.fault_tools import ROOT, make_world, teacher_path

pytestmark = pytest.mark.slow  # every test runs launchers side by side
LAUNCHER = "GenDD_cifar/sh/train_res56_res20_kd.sh"


def side_by_side(tmp_path, *launchers, **env):
    full = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1", **env}
    return subprocess.run(["bash", "sh/side_by_side.sh", *launchers], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=900)


def test_two_trials_run_side_by_side_and_both_finish(tmp_path):
    world = make_world(tmp_path / "world")
    save = tmp_path / "save"
    out = side_by_side(tmp_path, LAUNCHER, TRIALS="0 1", JOBS="2", LOG_DIR=str(tmp_path / "logs"),
                       DATA_ROOT=str(world / "data"), SAVE_DIR=str(save), PATH_T=str(teacher_path(world)), EPOCHS="1",
                       EXTRA_ARGS="--device cpu --num_workers 0 --batch_size 8 --skip_teacher_eval")
    assert out.returncode == 0, out.stdout + out.stderr
    runs = save / "student_kd"
    finals = sorted(p.parent.name for p in runs.glob("*/final.pth"))
    assert finals == ["S-resnet20_T-resnet8_cifar100_trial_0", "S-resnet20_T-resnet8_cifar100_trial_1"]
    ports = {line.split("port ")[1].split(",")[0] for line in out.stdout.splitlines() if "port " in line}
    assert len(ports) == 2
    for trial in (0, 1):
        assert (tmp_path / "logs" / f"train_res56_res20_kd_trial{trial}.log").read_text()


def test_a_failed_run_is_named_and_bad_input_exits_2(tmp_path):
    out = side_by_side(tmp_path, LAUNCHER, TRIALS="0", DATA_ROOT=str(tmp_path / "nowhere"),
                       LOG_DIR=str(tmp_path / "logs"), EXTRA_ARGS="--device cpu --num_workers 0")
    assert out.returncode == 1 and "failed: train_res56_res20_kd_trial0 (exit 2)" in out.stderr
    assert side_by_side(tmp_path, "sh/no_such_launcher.sh").returncode == 2
    bad = side_by_side(tmp_path, LAUNCHER, JOBS="zero")
    assert bad.returncode == 2 and "JOBS must be a positive integer" in bad.stderr
