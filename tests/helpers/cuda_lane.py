"""The CUDA test lane (``tests/cuda``, ``pytest -m cuda``): where it runs and how it runs launchers.

Every lane test is marked ``cuda`` (``LANE``) and runs on the CUDA device when there is one; it
is skipped elsewhere, except that ``GENDD_CUDA_LANE_DEVICE=cpu`` runs the lane's code on the CPU
(to check the lane itself: capture is then the captured program run eagerly, and the checks
that only a real graph can fail are the CPU tests'). Launchers run as the README runs them
(``bash <launcher>``, environment overrides only) with a recording interpreter, and each recorded
command then runs in this process (one process for the whole lane)."""
from __future__ import annotations

import json
import os
import pathlib

import pytest
import torch

from helpers.fault_tools import run_in_process
from helpers.launcher_tools import recorded_commands, recorder, run_launcher

LANE_ENV = "GENDD_CUDA_LANE_DEVICE"


def lane_device() -> str | None:
    """"cuda" where CUDA is present, the value of GENDD_CUDA_LANE_DEVICE when set, else None (skip)."""
    return os.environ.get(LANE_ENV) or ("cuda" if torch.cuda.is_available() else None)


DEVICE = lane_device()
ON_CUDA = DEVICE == "cuda"
LANE = [pytest.mark.cuda, pytest.mark.skipif(DEVICE is None, reason=f"needs a CUDA device ({LANE_ENV}=cpu runs "
                                                                      f"the lane's code on the CPU)")]


def run_launcher_in_process(launcher: pathlib.Path, tmp_path: pathlib.Path, **env) -> list[list[str]]:
    """Record the python commands of ``bash launcher`` (with ``env``), run each in this process
    from the launcher's tree; every one must exit 0. Returns the commands."""
    record = tmp_path / f"record_{launcher.stem}.jsonl"
    overrides = {"PYTHON": recorder(tmp_path), "GENDD_RECORD": str(record), "GPUS": "1", "NNODES": "1",
                 **{k: str(v) for k, v in env.items()}}
    result = run_launcher(str(launcher), str(launcher.parent.parent), overrides, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    commands = recorded_commands(record)
    for command in commands:
        code, out = run_in_process(command["argv"], pathlib.Path(command["cwd"]))
        assert code == 0, f"{' '.join(command['argv'])} exited {code}:\n{out[-4000:]}"
    return [c["argv"] for c in commands]


def check_trained_run(run: pathlib.Path, steps: int) -> None:
    """A finished run: ``steps`` steps, no capture fallback, on CUDA no CPU notice, finite final weights."""
    log = (run / "log.txt").read_text()
    assert "could not be captured" not in log, log[-3000:]
    if ON_CUDA:
        assert "no CUDA device" not in log and "on cuda" in log, log[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["global_step"] == steps and summary["nonfinite_steps_skipped"] == 0, summary
    final = torch.load(run / "final.pth", map_location="cpu", weights_only=False)["model"]
    assert all(torch.isfinite(v.float()).all() for v in final.values() if v.is_floating_point())
