"""Numerical faults in the real KD script: batches whose images are all NaN give NaN losses.
Each such step is skipped without a trace (the run ends bitwise equal to one that never saw
those batches: BatchNorm statistics of the bad forward are undone) and counted in the logs;
K in a row stop the run with exit code 3 and a message naming the step, the last good
checkpoint kept."""
import json
import re

import pytest
import torch

from helpers.fault_tools import assert_bitwise_equal, final_weights, kd_args, kd_run_dir, run, step_files

pytestmark = pytest.mark.slow
EXIT_NONFINITE = 3


def test_nonfinite_steps_are_skipped_counted_and_leave_no_trace(world, tmp_path):
    nan = run(kd_args(world, tmp_path / "nan", 2, "--max_nonfinite", "2"), {"nan_steps": [3, 8]})
    assert nan.returncode == 0, nan.stderr[-3000:]
    dropped = run(kd_args(world, tmp_path / "drop"), {"drop_steps": [3, 8]})
    assert dropped.returncode == 0, dropped.stderr[-3000:]
    run_dir = kd_run_dir(tmp_path / "nan")
    weights = final_weights(run_dir)
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    assert_bitwise_equal(weights, final_weights(kd_run_dir(tmp_path / "drop")))

    assert json.loads((run_dir / "summary.json").read_text())["nonfinite_steps_skipped"] == 2
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["train/nonfinite_total"]) for r in rows if "train/nonfinite_total" in r] == [(3, 1), (8, 2)]
    assert [r["train_epoch/nonfinite_total"] for r in rows if "train_epoch/nonfinite_total" in r] == [1, 2]
    log = (run_dir / "log.txt").read_text()
    assert "non-finite loss at global step 3 (epoch 1, step 3)" in log
    assert "non-finite loss at global step 8 (epoch 2, step 2)" in log
    assert "step skipped, 1 in a row, 2 in total" in log


def test_k_consecutive_nonfinite_losses_stop_with_exit_3_naming_the_step(world, tmp_path):
    res = run(kd_args(world, tmp_path, 2, "--max_nonfinite", "3"), {"nan_steps": list(range(3, 13))})
    assert res.returncode == EXIT_NONFINITE, res.stderr[-3000:]
    message = res.stderr.strip().splitlines()[-1]
    assert re.search(r"error: 3 consecutive non-finite losses, the last at global step 5 \(epoch 1, step 5\)",
                     message), message
    run_dir = kd_run_dir(tmp_path)
    kept = step_files(run_dir)
    assert [p.name for p in kept] == ["step_000000002.pth", "step_000000004.pth"]
    assert f"The last good checkpoint is kept: {kept[-1]}" in message
    assert not (run_dir / "final.pth").exists()
    before, during = (torch.load(p, weights_only=False)["model"] for p in kept)
    assert_bitwise_equal(during, before)   # step 4 was skipped: weights and BN statistics of step 2
    assert all(torch.isfinite(v).all() for v in before.values() if v.is_floating_point())
