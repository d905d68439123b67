"""Kill safety of the real CIFAR scripts: SIGKILL at chosen and at random moments (during
a checkpoint write, before its rename, before old checkpoints are pruned, while writing
final.pth, mid-step), then the same command again until it finishes; the final weights
equal those of an uninterrupted run bit for bit (CPU, one thread, deterministic)."""
import random
import signal

import pytest

from helpers.fault_tools import (STEPS_PER_EPOCH, assert_bitwise_equal, final_weights, kd_args, kd_run_dir, newest_step,
                                 partial_files, run, run_in_process, start, step_files, wait_until)

pytestmark = pytest.mark.slow
KILLED = -signal.SIGKILL


@pytest.fixture(scope="module")
def straight(world):
    """The uninterrupted run's final weights."""
    code, out = run_in_process(kd_args(world, world / "straight"))
    assert code == 0, out
    return final_weights(kd_run_dir(world / "straight"))


def test_kills_at_each_stage_of_a_checkpoint_write_then_rerun_is_bitwise_exact(world, straight, tmp_path):
    args, run_dir = kd_args(world, tmp_path), kd_run_dir(tmp_path)

    cut = run(args, {"kill_in_write": ["step_", 2]})           # half of step_4 written
    assert cut.returncode == KILLED
    assert [p.name for p in step_files(run_dir)] == ["step_000000002.pth"]
    assert [p.name.split("-")[1] for p in partial_files(run_dir)] == ["step_000000004.pth"]

    cut = run(args, {"kill_before_rename": ["step_", 1]})      # step_4 complete, not yet renamed
    assert cut.returncode == KILLED
    assert [p.name for p in step_files(run_dir)] == ["step_000000002.pth"]
    assert len(partial_files(run_dir)) == 1                    # the earlier leftover was removed at start

    cut = run(args, {"kill_before_prune": 1})                   # step_6 written, step_2 not yet pruned
    assert cut.returncode == KILLED
    assert [newest_step(run_dir), len(step_files(run_dir))] == [6, 3]

    cut = run(args, {"kill_in_write": ["final.pth", 1]})        # every step done, final.pth half written
    assert cut.returncode == KILLED
    assert not (run_dir / "final.pth").exists() and newest_step(run_dir) == 2 * STEPS_PER_EPOCH

    done = run(args)
    assert done.returncode == 0, done.stderr[-3000:]
    log = (run_dir / "log.txt").read_text()
    assert log.count("resumed from") == 4 and log.count("left by a write that was interrupted") == 3
    assert not partial_files(run_dir) and len(step_files(run_dir)) == 2   # keep_last 2
    assert_bitwise_equal(final_weights(run_dir), straight)


def test_kills_at_random_moments_then_rerun_is_bitwise_exact(world, straight, tmp_path):
    """Each of up to three attempts is killed a random 0-300 ms after it wrote a new checkpoint
    (the second half-way through writing a new checkpoint), so every attempt makes progress; then
    the same command finishes the run. Batches come 50 ms apart and the second attempt's writes
    pause half-way for 2 s, so the kills land mid-run on a machine of any speed."""
    args, run_dir = kd_args(world, tmp_path), kd_run_dir(tmp_path)
    rng = random.Random(6)
    kills = 0
    for attempt in range(3):
        before, stale = newest_step(run_dir), set(partial_files(run_dir))  # a killed write leaves one behind
        proc = start(args, {"slow_batches": 0.05, **({"pause_in_write": 2.0} if attempt == 1 else {})})
        if attempt == 1:
            wait_until(lambda: any(_step_of(p) > before for p in set(partial_files(run_dir)) - stale),
                       proc=proc)
        else:
            wait_until(lambda: newest_step(run_dir) > before, proc=proc)
            wait_until(lambda: False, timeout=rng.uniform(0, 0.3), proc=proc)
        proc.send_signal(signal.SIGKILL)
        output = proc.communicate()[0]
        if proc.returncode == 0:
            break
        assert proc.returncode == KILLED, output[-3000:]
        kills += 1
    assert kills >= 2
    if not (run_dir / "final.pth").exists():
        done = run(args)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (run_dir / "log.txt").read_text().count("resumed from") >= kills - 1
    assert not partial_files(run_dir)
    assert_bitwise_equal(final_weights(run_dir), straight)


def _step_of(partial) -> int:
    """The global step of a checkpoint's temporary file (``.tmp-step_<n>.pth-<random>``), 0 for other files."""
    name = partial.name.split("-")[1]
    return int(name[len("step_"):-len(".pth")]) if name.startswith("step_") else 0
