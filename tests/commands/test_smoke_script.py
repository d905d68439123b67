"""sh/smoke.sh, the README's CPU smoke command, runs as written: it builds its tiny data and
finishes a one-epoch run of each of the three launchers (about 1 CPU-minute in all)."""
import json
import os
import subprocess

import pytest
from helpers.fault_tools import ROOT

pytestmark = pytest.mark.slow

RUNS = ["save_cifar/student_pretrain/S-resnet20_T-resnet56_cifar100_trial_0",
        "save_cifar/student_gendd/S-resnet20_T-resnet56_cifar100_trial_0",
        "save_imagenet/gendd_pretrain/S-resnet18_T-resnet34_imagenet_trial_0",
        "save_imagenet/gendd/S-resnet18_T-resnet34_imagenet_trial_0",
        "save_cc3m/unsupervised_gendd/S-resnet18_T-resnet34_cc3m_trial_0"]


def test_smoke_script_runs_every_readme_smoke_line(tmp_path):
    env = {**os.environ, "SMOKE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(["bash", "sh/smoke.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"[smoke] finished: runs under {tmp_path}" in result.stdout
    for run in RUNS:
        summary = json.loads((tmp_path / run / "summary.json").read_text())
        assert summary["last_epoch"] == 1 and (tmp_path / run / "final.pth").is_file(), run
    cc3m = json.loads((tmp_path / RUNS[-1] / "summary.json").read_text())
    assert cc3m["global_step"] == 2  # --iterations_per_epoch 2


def test_smoke_script_refuses_an_unknown_part(tmp_path):
    result = subprocess.run(["bash", "sh/smoke.sh", "mnist"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "SMOKE_DIR": str(tmp_path)}, timeout=60)
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: unknown part 'mnist': choose cifar, imagenet or cc3m")
    assert not list(tmp_path.iterdir())  # refused before building anything
