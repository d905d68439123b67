"""One writer per run folder: while a run trains, a second copy of the same command (a requeued
job next to a straggler) is refused with exit 2 and one line naming the holder's pid and host,
and leaves the folder alone; once the first process is SIGKILLed, its lock is stale and the
same command runs; --resume_mode overwrite keeps the lock it holds."""
import os
import signal
import socket
import subprocess
import sys

import pytest

from helpers.fault_tools import kd_args, kd_run_dir, newest_step, refused, run_in_process, start, wait_until
from gendd.engine.lock import claim_run_dir, release_run_dirs

pytestmark = pytest.mark.slow
CLAIM = """import sys
from gendd.engine.lock import RunDirInUse, claim_run_dir
try:
    claim_run_dir(sys.argv[1])
except RunDirInUse as err:
    print(err)
    sys.exit(7)
"""


def test_a_second_copy_is_refused_while_the_first_runs_and_runs_once_it_is_killed(world, tmp_path):
    args = kd_args(world, tmp_path / "save", 200)
    run_dir = kd_run_dir(tmp_path / "save")
    first = start(args)
    try:
        assert wait_until(lambda: newest_step(run_dir) >= 2, proc=first, timeout=900), "no checkpoint was written"
        log_before = (run_dir / "log.txt").read_text()
        refused([*args, "--dry_run"], f"run folder '{run_dir}' is in use by pid {first.pid} on host "
                f"{socket.gethostname()}", "Wait for that process to end")
        assert (run_dir / "log.txt").read_text().startswith(log_before)
        assert (run_dir / "log.txt").read_text().count("run folder") == 1   # the copy logged nothing
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert (run_dir / ".lock").is_file()      # left by the killed process, but no longer locked
    code, out = run_in_process([*args, "--dry_run"])
    assert code == 0, out[-3000:]
    assert "dry run" in out and not (run_dir / ".lock").exists()


def test_overwrite_keeps_the_lock_and_a_clean_exit_removes_it(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "config.yaml").write_text("epochs: 1\n")
    from gendd.engine.rundir import prepare_run_dir
    claim_run_dir(str(run_dir))
    try:
        prepare_run_dir(str(run_dir), {"epochs": 2}, "overwrite")
        assert sorted(os.listdir(run_dir)) == [".lock", "config.yaml"]
        with open(run_dir / ".lock") as fh:
            assert fh.read().split()[:2] == [str(os.getpid()), socket.gethostname()]
        other = subprocess.run([sys.executable, "-c", CLAIM, str(run_dir)], capture_output=True, text=True)
        assert other.returncode == 7 and f"in use by pid {os.getpid()}" in other.stdout, other
    finally:
        release_run_dirs()
    assert not (run_dir / ".lock").exists()
