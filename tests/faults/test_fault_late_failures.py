"""No late failure claims or damages a run folder, and every launcher message says what happened:

* a folder whose first attempt stopped before its first checkpoint (here: every step non-finite,
  --max_nonfinite 1) holds nothing to protect: the corrected command, with another flag value,
  takes it over (before, it was refused as "a different configuration");
* a full disk while a row of metrics.jsonl or log.txt is written ends with exit 74 and leaves
  only whole rows; the same command then finishes the run;
* a torn last row (a kill mid-write) is skipped by the report scripts' reader and removed when
  the run starts again;
* SIGTERM to a launcher while the script runs its final test (after training) ends with exit 75
  and a line saying that training had finished, not "stopped before training began".
"""
import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

from gendd.engine.logger import read_metrics
from reports.runs import train_seconds
from helpers.fault_tools import (CIFAR, RUNNER, THREADS, kd_args, kd_run_dir, run, teacher_path,
                                 wait_until)

pytestmark = pytest.mark.slow
EXIT_WRITE_FAILED, EXIT_PREEMPTED = 74, 75


def rows_are_whole(path) -> list[dict]:
    text = path.read_text()
    assert text.endswith("\n"), text[-200:]
    return [json.loads(line) for line in text.splitlines()]


def test_a_folder_without_a_checkpoint_takes_the_corrected_command(world, tmp_path):
    failed = run(kd_args(world, tmp_path, 1, "--max_nonfinite", "1"), {"nan_steps": [1]})
    assert failed.returncode == 3, failed.stderr[-3000:]
    run_dir = kd_run_dir(tmp_path)
    assert (run_dir / "config.yaml").is_file() and not list((run_dir / "checkpoints").glob("step_*"))
    first_log = (run_dir / "log.txt").read_text()

    fixed = run(kd_args(world, tmp_path, 1, "--max_nonfinite", "1", "--learning_rate", "0.01"))
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["learning_rate"] == 0.01
    log = (run_dir / "log.txt").read_text()
    assert log.startswith(first_log), "the first attempt's log is kept"
    assert "stopped before its first checkpoint (learning_rate: 0.05 -> 0.01)" in log
    assert not any("train/nonfinite_total" in row for row in rows_are_whole(run_dir / "metrics.jsonl"))


@pytest.mark.parametrize("name,n", [("metrics.jsonl", 5), ("log.txt", 4)])
def test_a_full_disk_while_logging_is_exit_74_with_whole_rows(world, tmp_path, name, n):
    full = run(kd_args(world, tmp_path), {"disk_full_in_log": [name, n]})
    assert full.returncode == EXIT_WRITE_FAILED, full.stderr[-3000:]
    run_dir = kd_run_dir(tmp_path)
    assert full.stderr.strip().splitlines()[-1] == (
        f"error: could not append to '{run_dir / name}' (No space left on device); it ends at its last whole row. "
        f"Free disk space or choose another --save_dir, then run the same command again")
    assert "Traceback" not in full.stderr
    rows_are_whole(run_dir / "metrics.jsonl")
    assert (run_dir / "log.txt").read_text().endswith("\n")

    again = run(kd_args(world, tmp_path))
    assert again.returncode == 0, again.stderr[-3000:]
    assert [r["step"] for r in rows_are_whole(run_dir / "metrics.jsonl") if "train_epoch/epoch" in r][-1] == 12


def test_a_torn_last_row_is_skipped_by_readers_and_removed_at_the_next_start(world, tmp_path):
    done = run(kd_args(world, tmp_path, 1))
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = kd_run_dir(tmp_path)
    whole = rows_are_whole(run_dir / "metrics.jsonl")
    with open(run_dir / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 7, "train/ce": 4.1')          # what a kill half-way through a row leaves
    assert read_metrics(str(run_dir)) == whole
    assert train_seconds(str(run_dir)) == sum(r.get("train_epoch/epoch_seconds", 0.0) for r in whole)

    longer = run(kd_args(world, tmp_path, 2, "--resume_mode", "resume"))
    assert longer.returncode == 0, longer.stderr[-3000:]
    assert rows_are_whole(run_dir / "metrics.jsonl")[:len(whole)] == whole
    assert "removed a torn last row of metrics.jsonl" in (run_dir / "log.txt").read_text()


def test_sigterm_during_the_final_test_says_that_training_had_finished(world, tmp_path):
    python = tmp_path / "python_with_faults"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{RUNNER}" "$@"\n')
    python.chmod(0o755)
    marker = tmp_path / "final_test_started"
    save = tmp_path / "save"
    env = {**os.environ, **THREADS, "PYTHONUNBUFFERED": "1", "PYTHON": str(python), "GPUS": "1", "EPOCHS": "1",
           "DATA_ROOT": str(world / "data"), "SAVE_DIR": str(save), "PATH_T": str(teacher_path(world)),
           "GENDD_FAULTS": json.dumps({"hold_final_test": str(marker)}),
           "EXTRA_ARGS": "--device cpu --num_workers 0 --skip_teacher_eval --batch_size 8 --val_split 8"}
    launcher = subprocess.Popen(["bash", "sh/train_res56_res20_kd.sh"], cwd=CIFAR, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert wait_until(marker.exists, proc=launcher, timeout=600), launcher.communicate()[0][-3000:]
        launcher.send_signal(signal.SIGTERM)
        output = launcher.communicate(timeout=300)[0]
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    assert launcher.returncode == EXIT_PREEMPTED, output[-3000:]
    assert ("pre-empted: stop signal received during the evaluation after training: training had finished "
            "(final.pth is written)") in output, output[-3000:]
    assert "before training began" not in output and "Traceback" not in output, output[-3000:]
    assert (save / "student_kd" / "S-resnet20_T-resnet8_cifar100_trial_0" / "final.pth").is_file()


def test_gendd_refuses_sampling_it_cannot_run_when_built_not_at_its_first_evaluation():
    """The check behind the --sampling_steps rule (tests/faults/test_fault_validation.py), for
    every caller of the method: K respaced steps out of T = 50."""
    from gendd.distillers.gendd import GenDD, SamplingSettings
    from helpers.toys import ToyNet
    with pytest.raises(ValueError, match=r"sampling steps must be in 1..50, got 51"):
        GenDD(ToyNet(num_classes=4, width=8), teacher_fc=(4, 8), token_dim=4, width=16, depth=1, num_timesteps=50,
              sampling=SamplingSettings(steps=51))
