"""Pre-emption through the launchers (what ``sbatch --signal=B:TERM`` and a scheduler's kill do):
SIGTERM/SIGINT sent to the launcher's shell alone reaches the training processes, which save a
checkpoint and exit 75; the launcher exits 75 and starts no further stage, with one process or
under torchrun (2 processes, gloo); after a SIGKILL of the launcher the orphaned process
checkpoints and stops by itself. No training process outlives its launcher."""
import os
import signal
import subprocess
import time

import pytest

from helpers.fault_tools import CIFAR, THREADS, newest_step, teacher_path, wait_until
from helpers.launcher_tools import free_port

pytestmark = pytest.mark.slow
EXIT_PREEMPTED = 75
CPU_ARGS = "--device cpu --num_workers 0 --skip_teacher_eval --batch_size 8 --save_every_steps 1 --keep_last 2"
RUN = "S-resnet20_T-resnet8_cifar100_trial_0"


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc), zombies excluded."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry)] = int(fields[1])
            except OSError:
                pass
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_launcher(script: str, world, save_dir, **env) -> subprocess.Popen:
    """The launcher on the tiny world, with far more epochs than it can finish before the test
    signals it (a loaded machine may poll late: a finished stage 1 would start stage 2)."""
    full = {**os.environ, **THREADS, "PYTHONUNBUFFERED": "1", "DATA_ROOT": str(world / "data"),
            "SAVE_DIR": str(save_dir), "PATH_T": str(teacher_path(world)), "GPUS": "1", "EPOCHS": "100000",
            "EXTRA_ARGS": CPU_ARGS, **env}
    return subprocess.Popen(["bash", script], cwd=CIFAR, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    """A shell started with SIGINT ignored (pytest run from a background job, or under nohup)
    cannot trap it (POSIX); a user's launcher in a terminal or under sbatch starts with the default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def signal_after_checkpoint(launcher: subprocess.Popen, run_dir, sig, python_processes: int) -> tuple[list[int], str]:
    """Wait for a checkpoint and for the training processes, send ``sig`` to the launcher's shell
    only; (the processes that were below it, the launcher's output). The launcher's process
    group is SIGKILLed if the test fails on the way (its training processes then stop by
    themselves: they die with their parent)."""
    try:
        if not wait_until(lambda: newest_step(run_dir) >= 2, proc=launcher, timeout=900):
            os.killpg(launcher.pid, signal.SIGKILL)
            pytest.fail(f"no checkpoint was written: {launcher.communicate(timeout=600)[0][-3000:]}")
        below = descendants(launcher.pid)
        assert len(below) >= python_processes, below
        launcher.send_signal(sig)
        output = launcher.communicate(timeout=600)[0]
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    return below, output


def assert_none_alive(pids: list[int], timeout: float = 5) -> None:
    end = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < end:
        time.sleep(0.05)
    left = [p for p in pids if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"training processes outlived their launcher: {left}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_a_two_stage_launcher_checkpoints_exits_75_and_skips_stage_two(world, tmp_path, sig):
    save = tmp_path / "save"
    stage1 = save / "student_pretrain" / RUN
    launcher = start_launcher("sh/train_res56_res20_gendd.sh", world, save)
    below, output = signal_after_checkpoint(launcher, stage1, sig, python_processes=1)
    assert launcher.returncode == EXIT_PREEMPTED, output[-3000:]
    assert "pre-empted: stop signal received: checkpoint saved" in output, output[-3000:]
    assert_none_alive(below)
    assert not (save / "student_gendd").exists(), "stage 2 started after stage 1 was pre-empted"
    assert newest_step(stage1) >= 2


def test_sigterm_to_a_torchrun_launcher_checkpoints_every_rank_and_exits_75(world, tmp_path):
    save = tmp_path / "save"
    run_dir = save / "student_kd" / RUN
    launcher = start_launcher("sh/train_res56_res20_kd.sh", world, save, GPUS="2", MASTER_PORT=str(free_port()))
    below, output = signal_after_checkpoint(launcher, run_dir, signal.SIGTERM, python_processes=3)
    assert launcher.returncode == EXIT_PREEMPTED, output[-3000:]
    assert "pre-empted: SIGTERM: all 2 local process(es) stopped on the signal" in output, output[-3000:]
    assert output.count("pre-empted: stop signal received: checkpoint saved") == 2, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert_none_alive(below)


def test_a_sigkilled_launcher_leaves_no_process_training(world, tmp_path):
    run_dir = tmp_path / "save" / "student_kd" / RUN
    launcher = start_launcher("sh/train_res56_res20_kd.sh", world, tmp_path / "save")
    below, output = signal_after_checkpoint(launcher, run_dir, signal.SIGKILL, python_processes=1)
    assert launcher.returncode == -signal.SIGKILL
    assert "pre-empted: stop signal received: checkpoint saved" in output, output[-3000:]
    assert_none_alive(below, timeout=60)
