"""Pre-emption of the real CIFAR scripts: SIGTERM and SIGINT (what schedulers and Ctrl-C
send) save a checkpoint at the next step boundary and exit with code 75; the same command
then continues, and ends bitwise equal to an uninterrupted run. GenDD (diffusion head,
random timesteps and noise every step) survives a SIGKILL and a SIGTERM the same way."""
import re
import signal

import pytest

from helpers.fault_tools import (assert_bitwise_equal, final_weights, gendd_args, gendd_run_dir, kd_args, kd_run_dir,
                         newest_step, run, run_in_process, start, wait_until)

pytestmark = pytest.mark.slow
EXIT_PREEMPTED = 75
SAVED = re.compile(r"pre-empted: stop signal received: checkpoint saved at epoch (\d+), step (\d+) "
                   r"\(global step (\d+)\)")


def interrupt(args, run_dir, sig) -> tuple[int, str]:
    """Start the run, send ``sig`` once it wrote a new checkpoint; (exit code, output)."""
    before = newest_step(run_dir)
    proc = start(args)
    assert wait_until(lambda: newest_step(run_dir) > before, proc=proc), proc.communicate()[0][-3000:]
    proc.send_signal(sig)
    output = proc.communicate(timeout=120)[0]
    return proc.returncode, output


def check_preempted(code, output, run_dir) -> None:
    assert code == EXIT_PREEMPTED, output[-3000:]
    saved = SAVED.search(output)
    assert saved, output[-3000:]
    assert "run the same command again to continue" in output
    assert newest_step(run_dir) == int(saved.group(3))


def test_sigterm_and_sigint_save_exit_75_and_the_rerun_is_bitwise_exact(world, tmp_path):
    code, out = run_in_process(kd_args(world, tmp_path / "straight"))
    assert code == 0, out
    args, run_dir = kd_args(world, tmp_path / "cut"), kd_run_dir(tmp_path / "cut")
    for sig in (signal.SIGTERM, signal.SIGINT):
        check_preempted(*interrupt(args, run_dir, sig), run_dir)
    done = run(args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (run_dir / "log.txt").read_text().count("resumed from") == 2
    assert_bitwise_equal(final_weights(run_dir), final_weights(kd_run_dir(tmp_path / "straight")))


def test_gendd_survives_sigkill_and_sigterm_bitwise(world, tmp_path):
    code, out = run_in_process(gendd_args(world, tmp_path / "straight"))
    assert code == 0, out
    args, run_dir = gendd_args(world, tmp_path / "cut"), gendd_run_dir(tmp_path / "cut")
    code, output = interrupt(args, run_dir, signal.SIGKILL)
    assert code == -signal.SIGKILL, output[-3000:]
    check_preempted(*interrupt(args, run_dir, signal.SIGTERM), run_dir)
    done = run(args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_bitwise_equal(final_weights(run_dir), final_weights(gendd_run_dir(tmp_path / "straight")))
