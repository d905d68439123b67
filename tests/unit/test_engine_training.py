"""The training engine: exact resume (also mid-epoch), pre-emption, DDP equivalence,
exact distributed evaluation, checkpoint atomicity and run-folder safety."""
import os
import signal
import socket

import pytest
import torch
import torch.multiprocessing as mp

from gendd.engine import (CheckpointManager, DatasetSource, Preempted, RunDirConflict, TrainConfig, atomic_save,
                          eval_loader, fit, init_distributed, prepare_run_dir, shutdown)
from gendd.engine.data import ResumableBatchSampler
from gendd.engine.dist import DistEnv
from gendd.engine.evaluate import evaluate
from helpers.toys import CEDistiller, ToyImages, ToyNet

CPU = DistEnv()


def make_cfg(run_dir, **kw):
    base = dict(run_dir=str(run_dir), epochs=2, lr=0.1, optimizer="sgd", weight_decay=5e-4, lr_schedule="step",
                milestones=(1,), warmup_epochs=0.5, seed=3, log_every=2, keep_last=2)
    base.update(kw)
    return TrainConfig(**base)


def train(run_dir, env=CPU, batch=4, workers=0, source_wrapper=None, **kw):
    torch.manual_seed(0)
    distiller = CEDistiller(ToyNet(bn=True, dropout=0.2), noise=0.1)
    data = ToyImages(n=40, augment=True)
    source = DatasetSource(data, batch, seed=3, rank=env.rank, world_size=env.world_size, num_workers=workers)
    if source_wrapper:
        source = source_wrapper(source)
    evalset = eval_loader(ToyImages(n=13, seed=1), 5, env.rank, env.world_size)
    summary = fit(distiller, source, evalset, make_cfg(run_dir, **kw), env)
    return distiller.state_dict(), summary


class SignalAfter:
    """A batch source that sends SIGTERM to this process while yielding batch number ``k`` (global)."""

    def __init__(self, source, k):
        self.source, self.k, self.count = source, k, 0
        self.steps_per_epoch = source.steps_per_epoch

    def batches(self, epoch, start_step=0):
        for batch in self.source.batches(epoch, start_step):
            self.count += 1
            if self.count == self.k:
                os.kill(os.getpid(), signal.SIGTERM)
            yield batch


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("k", [10, 13])  # 10 = an epoch boundary (10 batches per epoch), 13 = mid-epoch
def test_interrupted_and_resumed_equals_straight_bitwise(tmp_path, k):
    straight, s1 = train(tmp_path / "straight")
    with pytest.raises(Preempted, match="checkpoint saved"):
        train(tmp_path / "cut", source_wrapper=lambda src: SignalAfter(src, k))
    saved = CheckpointManager(str(tmp_path / "cut")).latest()[1]
    assert saved["global_step"] == k and saved["step_in_epoch"] == (k - 1) % 10 + 1
    resumed, s2 = train(tmp_path / "cut")
    assert_same_weights(straight, resumed)
    assert s1["last"] == s2["last"]


@pytest.mark.slow
def test_resume_with_data_loader_workers(tmp_path):
    straight, _ = train(tmp_path / "a", workers=2, epochs=1)
    with pytest.raises(Preempted):
        train(tmp_path / "b", workers=2, epochs=1, source_wrapper=lambda src: SignalAfter(src, 4))
    resumed, _ = train(tmp_path / "b", workers=1, epochs=1)  # augmentation does not depend on workers
    assert_same_weights(straight, resumed)


def test_step_checkpoints_keep_last_k(tmp_path):
    train(tmp_path / "r", epochs=1, save_every_steps=3, keep_last=2)
    names = sorted(os.listdir(tmp_path / "r" / "checkpoints"))
    assert names == ["step_000000009.pth", "step_000000010.pth"]
    files = set(os.listdir(tmp_path / "r"))
    assert {"final.pth", "best.pth", "summary.json", "metrics.jsonl", "tensorboard"} <= files


def test_batch_sampler_partitions_and_skips():
    one = ResumableBatchSampler(22, 4, seed=1, world_size=1)
    one.set_epoch(2)
    two = [ResumableBatchSampler(22, 2, seed=1, rank=r, world_size=2) for r in range(2)]
    for s in two:
        s.set_epoch(2)
    for big, a, b in zip(one, *two):
        assert sorted(big) == sorted(a + b)
    late = ResumableBatchSampler(22, 4, seed=1)
    late.set_epoch(2, start_step=3)
    assert list(late) == list(one)[3:]
    other = ResumableBatchSampler(22, 4, seed=1)
    other.set_epoch(3)
    assert list(other) != list(one)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, fn, args):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    env = init_distributed("cpu")
    try:
        fn(env, *args)
    finally:
        shutdown()


def spawn(fn, *args, world=2):
    mp.start_processes(_worker, args=(world, _free_port(), fn, args), nprocs=world, start_method="fork")


def _ddp_one_step(env, out_dir, batch):
    torch.manual_seed(0)
    distiller = CEDistiller(ToyNet(bn=False))
    source = DatasetSource(ToyImages(n=16, augment=True), batch, seed=5, rank=env.rank, world_size=env.world_size)
    evalset = eval_loader(ToyImages(n=7, seed=1), 3, env.rank, env.world_size)
    cfg = make_cfg(os.path.join(out_dir, f"w{env.world_size}"), epochs=1, warmup_epochs=0, milestones=())
    cfg.lr_schedule = "constant"
    summary = fit(distiller, source, evalset, cfg, env)
    if env.rank == 0:
        torch.save({"sd": distiller.state_dict(), "summary": summary}, os.path.join(out_dir, f"w{env.world_size}.pt"))


def test_two_ranks_with_batch_b_equal_one_rank_with_batch_2b(tmp_path):
    spawn(_ddp_one_step, str(tmp_path), 4)
    _ddp_one_step(CPU, str(tmp_path), 8)
    two, one = (torch.load(tmp_path / f"w{w}.pt") for w in (2, 1))
    for k in one["sd"]:
        torch.testing.assert_close(two["sd"][k], one["sd"][k], rtol=1e-5, atol=1e-6)
    assert two["summary"]["last"]["count"] == one["summary"]["last"]["count"] == 7
    assert two["summary"]["last"]["top1"] == pytest.approx(one["summary"]["last"]["top1"])


class FixedLogits(torch.nn.Module):
    """Predicts label = first pixel > 0, so accuracy has an independent closed form."""

    def forward(self, x):
        return torch.stack([-x[:, 0, 0, 0], x[:, 0, 0, 0]], 1)


def _eval_counts(env, out_dir):
    data = ToyImages(n=11, num_classes=2, seed=4)
    res = evaluate(FixedLogits(), eval_loader(data, 2, env.rank, env.world_size), env.device, num_classes=2)
    if env.rank == 0:
        torch.save(res, os.path.join(out_dir, "eval.pt"))


def test_distributed_evaluation_counts_every_sample_once(tmp_path):
    spawn(_eval_counts, str(tmp_path), world=3)
    res = torch.load(tmp_path / "eval.pt", weights_only=False)
    data = ToyImages(n=11, num_classes=2, seed=4)
    pred = (data.x[:, 0, 0, 0] > 0).long()
    assert res["count"] == 11
    assert res["top1"] == pytest.approx(100.0 * (pred == data.y).sum().item() / 11)
    correct, total = res["per_class"][""]
    assert total.tolist() == [float((data.y == c).sum()) for c in range(2)]


def test_atomic_save_keeps_previous_file_when_disk_is_full(tmp_path, monkeypatch):
    path = tmp_path / "ck.pth"
    atomic_save({"v": 1}, str(path))

    def full_disk(obj, fh):
        fh.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="previous checkpoint is untouched"):
        atomic_save({"v": 2}, str(path))
    monkeypatch.undo()
    assert torch.load(path) == {"v": 1}
    assert os.listdir(tmp_path) == ["ck.pth"]


def test_corrupted_newest_checkpoint_falls_back_to_previous(tmp_path):
    mgr = CheckpointManager(str(tmp_path), keep_last=3)
    mgr.save({"model": {}, "global_step": 1}, 1)
    mgr.save({"model": {}, "global_step": 2}, 2)
    with open(mgr.paths()[-1], "r+b") as fh:
        fh.truncate(10)
    with pytest.warns(UserWarning, match="unreadable"):
        path, state = mgr.latest()
    assert state["global_step"] == 1


def test_run_folder_of_another_configuration_is_refused(tmp_path):
    run = str(tmp_path / "run")
    assert prepare_run_dir(run, {"lr": 0.1, "epochs": 2}) is False
    assert prepare_run_dir(run, {"lr": 0.1, "epochs": 2, "num_workers": 8}) is True
    os.makedirs(os.path.join(run, "checkpoints"))
    open(os.path.join(run, "checkpoints", "step_000000001.pth"), "wb").close()   # the run has progress to protect
    with pytest.raises(RunDirConflict, match=r"lr: 0.1 -> 0.2"):
        prepare_run_dir(run, {"lr": 0.2, "epochs": 2})
    assert prepare_run_dir(run, {"lr": 0.2, "epochs": 2}, mode="resume") is True
    assert prepare_run_dir(run, {"lr": 0.3, "epochs": 2}, mode="overwrite") is False
    assert not os.path.exists(os.path.join(run, "checkpoints"))
