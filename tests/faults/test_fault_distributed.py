"""Distributed faults: under ``torchrun --nproc_per_node 2 --max-restarts 1`` (gloo, CPU),
SIGKILL of rank 1 mid-epoch makes torchrun restart the group, which resumes from rank 0's
last checkpoint and ends bitwise equal to an uninterrupted torchrun run. The method is
IKL-KD with GI, whose per-class running sums must be global on every rank for that resume
to be exact; a two-process check of those sums follows."""
import os
import re
import signal
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from helpers.fault_tools import (CIFAR, assert_bitwise_equal, children, common_args, environ_of, final_weights,
                                 make_world, newest_step, process_env, teacher_path, wait_until)
from gendd import distillers
from helpers.launcher_tools import free_port

pytestmark = pytest.mark.slow


def torchrun(world, save_dir, max_restarts: int) -> list[str]:
    """IKL-KD with GI (resnet8 -> resnet8), global batch 8 = 2 processes x 4: 6 steps per epoch."""
    args = common_args(world, save_dir)
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--max-restarts",
            str(max_restarts), "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
            "train_student_kd.py", "--distill", "ikl", "--ikl_gi", "--path_t", str(teacher_path(world)),
            "--model_s", "resnet8", *args]


def ikl_run_dir(save_dir):
    return save_dir / "student_ikl" / "S-resnet8_T-resnet8_cifar100_trial_0"


def test_killing_one_rank_restarts_the_group_which_resumes_bitwise(tmp_path):
    world = make_world(tmp_path / "world")
    straight = subprocess.run(torchrun(world, tmp_path / "straight", 0), cwd=CIFAR, env=process_env(),
                              capture_output=True, text=True, timeout=300)
    assert straight.returncode == 0, straight.stderr[-3000:]

    run_dir = ikl_run_dir(tmp_path / "cut")
    agent = subprocess.Popen(torchrun(world, tmp_path / "cut", 1), cwd=CIFAR, env=process_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert wait_until(lambda: newest_step(run_dir) >= 2, proc=agent), agent.communicate()[0][-3000:]
    rank1 = [pid for pid in children(agent.pid) if environ_of(pid).get("RANK") == "1"]
    assert len(rank1) == 1
    os.kill(rank1[0], signal.SIGKILL)
    output = agent.communicate(timeout=300)[0]
    assert agent.returncode == 0, output[-3000:]

    log = (run_dir / "log.txt").read_text()
    resumed = re.findall(r"resumed from \S+: epoch (\d+), step (\d+) of the epoch", log)
    assert len(resumed) == 1 and log.count("(2 process(es) on cpu)") == 2, log
    epoch, step = map(int, resumed[0])
    assert epoch == 1 and 0 < step < 6, f"the kill should land mid-epoch 1 (GI sums half-way): {resumed}"
    assert_bitwise_equal(final_weights(run_dir), final_weights(ikl_run_dir(tmp_path / "straight")))


# ---- IKL's GI sums are global on every rank after every batch ----

NUM_CLASSES = 4


class Linear(nn.Module):
    """A linear 'network' following the model contract (forward_features + fc)."""

    def __init__(self, seed: int):
        super().__init__()
        torch.manual_seed(seed)
        self.body = nn.Linear(6, 5)
        self.fc = nn.Linear(5, NUM_CLASSES)

    def forward_features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.fc(self.forward_features(x))


def gi_batches():
    g = torch.Generator().manual_seed(3)
    return torch.randn(2, 2, 3, 6, generator=g), torch.randint(0, NUM_CLASSES, (2, 2, 3), generator=g)  # [rank, step]


def _gi_rank(rank, world, init_file, out_dir):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        d = distillers.build("ikl", Linear(0), Linear(1), temperature2=2.0, gi=True, warmup_epochs=1).train()
        model = nn.parallel.DistributedDataParallel(d)
        x, y = gi_batches()
        model(x[rank, 0], y[rank, 0])          # one batch per rank, mid-epoch: no end_epoch yet
        torch.save((d.prior_sum.clone(), d.prior_count.clone()), os.path.join(out_dir, f"sums{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_gi_running_sums_span_every_rank_mid_epoch(tmp_path):
    mp.start_processes(_gi_rank, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, start_method="fork")
    teacher = Linear(1)
    x, y = gi_batches()
    expected_sum, expected_count = torch.zeros(NUM_CLASSES, NUM_CLASSES), torch.zeros(NUM_CLASSES, dtype=torch.long)
    with torch.no_grad():
        for rank in range(2):
            probs = torch.softmax(teacher(x[rank, 0]) / 2.0, dim=1)
            for label, p in zip(y[rank, 0].tolist(), probs):
                expected_sum[label] += p
                expected_count[label] += 1
    for rank in range(2):
        got_sum, got_count = torch.load(tmp_path / f"sums{rank}.pt")
        torch.testing.assert_close(got_sum, expected_sum)
        assert torch.equal(got_count, expected_count)
