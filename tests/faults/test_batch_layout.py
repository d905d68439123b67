"""The global batch follows the recipe, not the GPU count, and a run resumes only in its own layout.

``--batch_size`` is the global batch: the same command under 1 and 2 processes (torchrun, gloo,
CPU) takes the same steps per epoch, each of the 2 processes with half the batch, and
config.yaml records both numbers and the world size. A run folder refuses a resume under
another world size or global batch (exit 2, the folder untouched), even with --resume_mode
resume, unless its newest checkpoint ends an epoch and only the world size changes (a finished
run extended under another process count); run again in its own layout it continues. The CIFAR
tiny world of fault_tools: 48 training images, global batch 8, 6 steps per epoch."""
import shutil
import subprocess
import sys

import pytest
import yaml

from helpers.fault_tools import (CIFAR, STEPS_PER_EPOCH, kd_args, kd_run_dir, newest_step, process_env,
                                 refused, run, snapshot)
from gendd.engine.layout import layout_change, per_process_batch
from gendd.engine.rundir import RunDirConflict, prepare_run_dir
from helpers.launcher_tools import free_port


def test_the_global_batch_splits_evenly_or_is_refused():
    assert per_process_batch(512, 8) == 64 and per_process_batch(64, 1) == 64 and per_process_batch(256, 4) == 64
    for global_batch, world in ((64, 3), (0, 1), (2, 4), (-8, 2)):
        with pytest.raises(ValueError, match=f"multiple of {world}"):
            per_process_batch(global_batch, world)


def test_a_layout_change_names_both_layouts():
    old = dict(world_size=1, batch_size=64, batch_per_process=64, smooth=0.9)
    assert layout_change(old, dict(old, smooth=0.8)) is None          # other flags: the usual config check
    assert layout_change({"batch_size": 64}, dict(old, world_size=2)) is None   # a folder from before the layout
    why = layout_change(old, dict(old, world_size=2, batch_per_process=32))
    assert "1 process(es) with a global batch of 64, now 2 process(es) with 64" in why and "--batch_size 64" in why
    assert "global batch of 64, now 1 process(es) with 32" in layout_change(old, dict(old, batch_size=32))


def test_the_world_size_is_free_until_the_folder_holds_a_checkpoint(tmp_path):
    one = dict(batch_size=64, batch_per_process=64, world_size=1, lr=0.1)
    eight = dict(one, batch_per_process=8, world_size=8)
    assert not prepare_run_dir(str(tmp_path), one)           # a dry run on one process ...
    assert prepare_run_dir(str(tmp_path), eight)             # ... then the run on eight: the same run
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["world_size"] == 8
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / ".tmp-step_2.pth").write_bytes(b"half")   # a killed write is no checkpoint
    assert prepare_run_dir(str(tmp_path), one)
    (tmp_path / "checkpoints" / "step_000000002.pth").write_bytes(b"x")
    for mode in ("auto", "resume"):
        with pytest.raises(RunDirConflict, match="trained by 1 process"):
            prepare_run_dir(str(tmp_path), eight, mode)
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["world_size"] == 1
    assert not prepare_run_dir(str(tmp_path), eight, "overwrite")


def torchrun_kd(world, save_dir, *extra) -> subprocess.CompletedProcess:
    """The CIFAR KD command of fault_tools under torchrun with 2 processes."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
               "--master_port", str(free_port()), *kd_args(world, save_dir, 2, *extra)]
    return subprocess.run(command, cwd=CIFAR, env=process_env(), capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def two_process_run(world, tmp_path_factory):
    save = tmp_path_factory.mktemp("two")
    res = torchrun_kd(world, save)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return kd_run_dir(save)


@pytest.mark.slow
def test_one_and_two_processes_train_the_recipes_global_batch(world, two_process_run, tmp_path):
    res = run(kd_args(world, tmp_path))
    assert res.returncode == 0, res.stderr[-3000:]
    one = kd_run_dir(tmp_path)
    for run_dir, processes, per_process in ((one, 1, 8), (two_process_run, 2, 4)):
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        assert (config["batch_size"], config["world_size"], config["batch_per_process"]) == (8, processes, per_process)
        assert f"global batch 8 = {processes} process(es) x {per_process}" in (run_dir / "log.txt").read_text()
        summary = yaml.safe_load((run_dir / "summary.json").read_text())
        assert summary["global_step"] == 2 * STEPS_PER_EPOCH   # 48 images / 8 a step, whatever the process count


@pytest.mark.slow
def test_a_finished_two_process_run_is_extended_by_one_process_at_the_epoch_boundary(world, two_process_run,
                                                                                     tmp_path):
    """Its newest checkpoint ends epoch 2: no position inside an epoch is carried over, so one
    process extends it to 3 epochs; another global batch (other steps per epoch) stays refused."""
    save = shutil.copytree(two_process_run.parent.parent, tmp_path / "save")
    run_dir = kd_run_dir(save)
    before = snapshot(run_dir)
    refused(kd_args(world, save, 3, "--batch_size", "4", "--resume_mode", "resume"), "cannot resume",
            "trained by 2 process(es) with a global batch of 8, now 1 process(es) with 4", "GPUS x NNODES")
    assert snapshot(run_dir) == before
    res = run(kd_args(world, save, 3, "--resume_mode", "resume"))
    assert res.returncode == 0, res.stderr[-3000:]
    log = (run_dir / "log.txt").read_text()
    assert "epoch 3, step 0 of the epoch" in log and "checkpoint was written by 2 ranks, now 1" in log, log
    assert yaml.safe_load((run_dir / "summary.json").read_text())["global_step"] == 3 * STEPS_PER_EPOCH
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["world_size"] == 1


@pytest.mark.slow
def test_a_one_process_run_stopped_mid_epoch_resumes_only_in_its_layout(world, tmp_path):
    cut = run(kd_args(world, tmp_path), faults={"kill_in_write": ["step_", 2]})   # killed writing step 4 of 6
    run_dir = kd_run_dir(tmp_path)
    assert cut.returncode == -9 and newest_step(run_dir) == 2
    before = snapshot(run_dir)

    two = torchrun_kd(world, tmp_path, "--resume_mode", "resume")   # would start 2 x 4 at step 2: other samples
    assert two.returncode != 0
    assert two.stderr.count("error: cannot resume") == 2, two.stderr[-3000:]   # each rank says why
    assert "with a global batch of 8, now 2 process(es) with 8" in two.stderr
    refused(kd_args(world, tmp_path, 2, "--batch_size", "4", "--resume_mode", "resume"),
            "global batch of 8, now 1 process(es) with 4")
    assert snapshot(run_dir) == before

    again = run(kd_args(world, tmp_path))   # its own layout: continues from step 2
    assert again.returncode == 0, again.stderr[-3000:]
    log = (run_dir / "log.txt").read_text()
    assert "resumed from" in log and "epoch 1, step 2 of the epoch" in log
    assert yaml.safe_load((run_dir / "summary.json").read_text())["global_step"] == 2 * STEPS_PER_EPOCH
