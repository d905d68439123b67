"""The one training loop every script uses.

``fit`` trains a distiller (see ``gendd.distillers.base``) from a batch source (see
``gendd.engine.data``) under DDP when launched by torchrun, evaluates on the main metric,
and keeps atomic checkpoints (every epoch and optionally every N steps) holding the full
resume state: weights, optimiser, epoch and step inside the epoch, every rank's RNG
states, the best metric so far. Started again on the same run folder it continues where
the last checkpoint left off; on CPU the result is bitwise that of an uninterrupted run.

Mixed precision (``amp``: bf16, or fp16 with a gradient scaler whose skipped steps are counted
apart from non-finite losses) is ``gendd.engine.amp``.

Faults: SIGTERM/SIGINT save a checkpoint at the next step boundary and raise
``Preempted``; a non-finite loss skips the step on every rank (the forward's buffer
updates, e.g. BatchNorm statistics, are undone; counted in the logs), and
``max_nonfinite`` consecutive ones raise ``NonFiniteLoss`` naming the step, with the last
good checkpoint kept. A killed checkpoint write leaves only a temporary file, removed at
the next start; rank 0 picks the checkpoint every rank resumes from. Labels outside the
student's classes stop the run before the step, and a run in which training did not really
take place (most steps skipped, weights non-finite or diverged) ends without final.pth, and no
best.pth is written from such weights (see ``gendd.engine.sanity``).
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field

import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from ..state_dicts import StateDictMismatch, UnreadableCheckpoint, load_state_dict_strict, read_checkpoint
from .amp import Precision, check_amp
from .capture import capture_wanted, epoch_runner
from .checkpoint import CheckpointManager, atomic_save, atomic_write_text
from .dist import DistEnv, all_gather_objects, all_reduce_, broadcast_object
from .evaluate import evaluate
from .logger import RunLogger
from .optim import build_optimizer
from .rundir import commit_config
from .sanity import NonFiniteLoss, NothingToTrain, check_labels, check_useful, class_count, weight_problem
from .schedules import LRSchedule, beta2_at
from .seeding import rng_state, seed_everything, set_rng_state
from .signals import StopRequests
from .transfer import to_device


class Preempted(RuntimeError):
    """Training stopped on SIGTERM/SIGINT after saving a checkpoint."""


@dataclass
class TrainConfig:
    run_dir: str
    epochs: int
    lr: float
    optimizer: str = "sgd"
    weight_decay: float = 5e-4
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    beta2_min: float | None = None
    lr_schedule: str = "step"
    milestones: tuple[int, ...] = field(default=(150, 180, 210))
    gamma: float = 0.1
    warmup_epochs: float = 0.0
    min_lr: float = 0.0
    seed: int = 0
    eval_every: int = 1
    save_every_steps: int = 0
    keep_last: int = 2
    log_every: int = 50
    headline: str = "top1"
    amp: str | bool | None = None   # "bf16", "fp16" or off (see gendd.engine.amp)
    channels_last: bool = True
    sync_bn: bool = False
    max_nonfinite: int = 20
    grad_clip: float = 0.0
    cuda_graph: str = "off"      # "auto", "on" or "off" (see capture.capture_wanted)


@dataclass
class Position:
    epoch: int = 1
    step_in_epoch: int = 0
    global_step: int = 0
    nonfinite_total: int = 0
    scaler_skipped_total: int = 0   # fp16 steps the gradient scaler skipped (not non-finite losses)
    best: dict = field(default_factory=dict)
    last_metrics: dict = field(default_factory=dict)


def fit(distiller, source, eval_loader, cfg: TrainConfig, env: DistEnv, logger: RunLogger | None = None) -> dict:
    """Train, evaluate every ``eval_every`` epochs, return the summary written to summary.json;
    ``logger``: the run's logger (``start_run``'s, which may also feed wandb), else a new one."""
    check_amp(cfg.amp, cfg.cuda_graph)
    logger = logger or RunLogger(cfg.run_dir, enabled=env.is_main)
    seed_everything(cfg.seed, env.rank)
    distiller = distiller.to(env.device)
    if cfg.channels_last:
        distiller = distiller.to(memory_format=torch.channels_last)
    if cfg.sync_bn and env.distributed:
        distiller = torch.nn.SyncBatchNorm.convert_sync_batchnorm(distiller)
    optimizer = build_optimizer(distiller.param_groups(cfg.weight_decay), cfg.optimizer, cfg.lr,
                                cfg.momentum, cfg.betas)
    if source.steps_per_epoch < 1:
        raise NothingToTrain(f"the training data gives no full batch per epoch ({source.steps_per_epoch} steps): "
                             f"lower --batch_size or use more training images")
    ckpts = CheckpointManager(cfg.run_dir, cfg.keep_last)
    precision = Precision(cfg.amp, env.device)
    if precision.notice():
        logger.info(precision.notice())
    pos = _resume(distiller, optimizer, precision, ckpts, env, logger)
    commit_config(cfg.run_dir, env.is_main)
    model = DDP(distiller, device_ids=[env.local_rank] if env.device.type == "cuda" else None) \
        if env.distributed else distiller
    lr_at = LRSchedule(cfg.lr, cfg.epochs, source.steps_per_epoch, cfg.lr_schedule, cfg.warmup_epochs,
                       tuple(cfg.milestones), cfg.gamma, cfg.min_lr)
    total_steps = cfg.epochs * source.steps_per_epoch
    loop = _Loop(distiller, model, optimizer, source, cfg, env, logger, ckpts, lr_at, total_steps, precision)
    capture = capture_wanted(cfg.cuda_graph, env, fp16=precision.scaler is not None)
    train_epoch = epoch_runner(loop) if capture else loop.train_epoch
    with StopRequests() as stop:
        loop.stop = stop
        while pos.epoch <= cfg.epochs:
            train_epoch(pos)
            if pos.epoch % cfg.eval_every == 0 or pos.epoch == cfg.epochs:
                with distiller.evaluation(pos.epoch, last=pos.epoch == cfg.epochs):
                    metrics = evaluate(distiller, eval_loader, env.device, None, loop.autocast, cfg.channels_last,
                                       seed=cfg.seed)
                loop.record_eval(pos, metrics)
            pos.epoch, pos.step_in_epoch = pos.epoch + 1, 0
            loop.save(pos)
    return _finish(distiller, pos, cfg, env, logger)


class _Loop:
    def __init__(self, distiller, model, optimizer, source, cfg, env, logger, ckpts, lr_at, total_steps, precision):
        self.distiller, self.model, self.optimizer, self.source = distiller, model, optimizer, source
        self.cfg, self.env, self.logger, self.ckpts = cfg, env, logger, ckpts
        self.lr_at, self.total_steps = lr_at, total_steps
        self.precision, self.autocast = precision, precision.autocast
        self.stop = None
        self.num_classes = class_count(distiller)
        self.consecutive_bad = 0
        self.scaler_skipped = False
        self.last_bad = ""

    def set_hyperparameters(self, step: int) -> float:
        lr = self.lr_at(step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
            if self.cfg.beta2_min is not None:
                group["betas"] = (group["betas"][0], beta2_at(step, self.total_steps, self.cfg.beta2_min))
        return lr

    def train_epoch(self, pos: Position) -> None:
        cfg, env = self.cfg, self.env
        self.distiller.train()
        self.distiller.start_epoch(pos.epoch)
        sums: dict[str, torch.Tensor] = {}
        steps = torch.zeros((), dtype=torch.float64, device=env.device)
        t0 = time.time()
        with self.logger.progress(self.source.steps_per_epoch, f"epoch {pos.epoch}/{cfg.epochs}",
                                  pos.step_in_epoch) as bar:  # closed (cleared) on errors too
            for images, labels in self.source.batches(pos.epoch, pos.step_in_epoch):
                check_labels(labels, self.num_classes, pos.global_step + 1)
                lr = self.set_hyperparameters(pos.global_step)
                losses, stop = self.step(images, labels)
                pos.step_in_epoch += 1
                pos.global_step += 1
                bar.update(1)
                if losses is None:
                    self.on_nonfinite(pos)
                else:
                    steps += 1
                    self.record_losses(pos, losses, lr, sums)
                    self.count_scaler_skip(pos)
                self.checkpoint_after_step(pos, stop)
        self.distiller.end_epoch(pos.epoch)
        all_reduce_(steps)
        means = {k: (all_reduce_(v.clone()) / steps.clamp(min=1)).item() for k, v in sorted(sums.items())}
        means.update(lr=self.lr_at(max(0, pos.global_step - 1)), epoch=pos.epoch,
                     nonfinite_total=pos.nonfinite_total, epoch_seconds=time.time() - t0)
        if self.precision.scaler is not None:
            means.update(scaler_skipped_total=pos.scaler_skipped_total, loss_scale=self.precision.scaler.get_scale())
        self.logger.metrics(pos.global_step, means, "train_epoch/")
        self.logger.info(f"epoch {pos.epoch}: " + ", ".join(f"{k} {v:.4g}" for k, v in means.items()))

    def record_losses(self, pos: Position, losses: dict, lr: float, sums: dict) -> None:
        for k, v in losses.items():
            sums[k] = sums.get(k, 0) + v.detach().double()
        if pos.global_step % self.cfg.log_every == 0:
            self.logger.metrics(pos.global_step, {k: v.item() for k, v in losses.items()} | {"lr": lr}, "train/")

    def checkpoint_after_step(self, pos: Position, stop: bool) -> None:
        """Save every ``save_every_steps`` steps; on a stop request save and raise ``Preempted``."""
        if stop:
            self.save(pos)
            raise Preempted(f"stop signal received: checkpoint saved at epoch {pos.epoch}, step {pos.step_in_epoch} "
                            f"(global step {pos.global_step}); run the same command again to continue")
        if self.cfg.save_every_steps and pos.global_step % self.cfg.save_every_steps == 0:
            self.save(pos)

    def step(self, images, labels) -> tuple[dict | None, bool]:
        """One optimisation step -> (losses, stop requested on some rank). Losses are None when
        the loss was non-finite on some rank: every rank then skips the update."""
        env = self.env
        images = to_device(images, env.device, self.cfg.channels_last)
        labels = labels.to(env.device, non_blocking=True) if torch.is_tensor(labels) else labels
        buffers = [b.detach().clone() for b in self.distiller.buffers()]
        with self.autocast():
            losses = self.model(images, labels)
        total = sum(v.float() for v in losses.values())
        flags = torch.stack([(~torch.isfinite(total.detach())).float(),
                             torch.tensor(float(self.stop.requested), device=total.device)])
        bad, stop = (all_reduce_(flags, op="max") > 0).tolist()
        if bad:
            with torch.no_grad():
                for buf, before in zip(self.distiller.buffers(), buffers):
                    buf.copy_(before)
            self.last_bad = ", ".join(f"{k}={v.item():.4g}" for k, v in losses.items())
            return None, stop
        self.consecutive_bad = 0
        self.scaler_skipped = not self.precision.step(total, self.optimizer, self.distiller.parameters(),
                                                      self.cfg.grad_clip)
        return losses, stop

    def count_scaler_skip(self, pos: Position) -> None:
        """Count a step the fp16 gradient scaler skipped (finite loss, inf/NaN gradient at this scale)."""
        if self.scaler_skipped:
            pos.scaler_skipped_total += 1
            self.logger.metrics(pos.global_step, {"scaler_skipped_total": pos.scaler_skipped_total}, "train/")

    def on_nonfinite(self, pos: Position) -> None:
        """Count and log a skipped step (``pos`` is already past it); stop after ``max_nonfinite`` in a row."""
        self.consecutive_bad += 1
        pos.nonfinite_total += 1
        where = f"global step {pos.global_step} (epoch {pos.epoch}, step {pos.step_in_epoch})"
        self.logger.info(f"non-finite loss at {where} on some rank (here: {self.last_bad}): step skipped, "
                         f"{self.consecutive_bad} in a row, {pos.nonfinite_total} in total")
        self.logger.metrics(pos.global_step, {"nonfinite_total": pos.nonfinite_total}, "train/")
        if self.consecutive_bad >= self.cfg.max_nonfinite:
            kept = self.ckpts.paths()
            raise NonFiniteLoss(
                f"{self.consecutive_bad} consecutive non-finite losses, the last at {where}: training stopped. "
                f"The last good checkpoint is kept: {kept[-1] if kept else 'none was written yet'}. "
                f"Lower the learning rate, check the data, or raise --max_nonfinite.")

    def record_eval(self, pos: Position, metrics: dict) -> None:
        scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        self.logger.metrics(pos.global_step, scalars | {"epoch": pos.epoch}, "eval/")
        self.logger.info(f"eval epoch {pos.epoch}: " + ", ".join(f"{k} {v:.2f}" for k, v in scalars.items()))
        value = scalars.get(self.cfg.headline)
        if value is not None and value > pos.best.get("value", -math.inf) and not weight_problem(self.distiller):
            pos.best = {"metric": self.cfg.headline, "value": value, "epoch": pos.epoch}
            if self.env.is_main:
                atomic_save({"model": self.distiller.state_dict(), "epoch": pos.epoch, "metrics": scalars},
                            os.path.join(self.cfg.run_dir, "best.pth"))
        pos.last_metrics = scalars

    def save(self, pos: Position) -> None:
        rngs = all_gather_objects(rng_state())
        if self.env.is_main:
            state = {"model": self.distiller.state_dict(), "optimizer": self.optimizer.state_dict(),
                     "scaler": self.precision.state_dict(), "rng": rngs, "config": asdict(self.cfg), **asdict(pos)}
            self.ckpts.save(state, pos.global_step)


def _resume(distiller, optimizer, precision: Precision, ckpts: CheckpointManager, env: DistEnv,
            logger: RunLogger) -> Position:
    """Continue from the checkpoint rank 0 picks (every rank loads the same one)."""
    path, error = broadcast_object(_pick_checkpoint(ckpts, logger) if env.is_main else None)
    if error:
        raise UnreadableCheckpoint(error)
    if path is None:
        return Position()
    state = read_checkpoint(path)
    hint = ("--resume_mode resume continues a run only with the same model; config.yaml is unchanged. Pass "
            "--resume_mode overwrite to start the run again, or choose another --trial/--save_dir")
    load_state_dict_strict(distiller, state["model"], what=f"checkpoint {path!r}", hint=hint, finite=False)
    try:
        optimizer.load_state_dict(state["optimizer"])
    except (ValueError, KeyError) as err:
        raise StateDictMismatch(f"the optimiser state in {path!r} does not fit this run ({err}); {hint}") from err
    precision.load_state_dict(state.get("scaler"))
    rngs = state["rng"]
    if len(rngs) != env.world_size:
        logger.info(f"checkpoint was written by {len(rngs)} ranks, now {env.world_size}: RNG streams are re-seeded")
    else:
        set_rng_state(rngs[env.rank])
    pos = Position(**{k: state[k] for k in Position.__dataclass_fields__ if k in state})
    logger.info(f"resumed from {path}: epoch {pos.epoch}, step {pos.step_in_epoch} of the epoch, "
                f"global step {pos.global_step}")
    return pos


def _pick_checkpoint(ckpts: CheckpointManager, logger: RunLogger) -> tuple[str | None, str | None]:
    """(newest readable checkpoint or None, error message or None), after removing the
    temporary files of killed writes."""
    for partial in ckpts.remove_partial():
        logger.info(f"removed {partial}: left by a write that was interrupted")
    try:
        found = ckpts.latest()
    except UnreadableCheckpoint as err:
        return None, str(err)
    return (found[0] if found else None), None


def _finish(distiller, pos: Position, cfg: TrainConfig, env: DistEnv, logger: RunLogger) -> dict:
    check_useful(distiller, pos.global_step, pos.nonfinite_total, pos.scaler_skipped_total)
    last_epoch = pos.epoch - 1
    summary = {"last_epoch": last_epoch, "last": pos.last_metrics,
               "best": pos.best | {"note": "best on the evaluation split during training (the test set unless "
                                            "a validation split was held out); the headline is 'last'"},
               "nonfinite_steps_skipped": pos.nonfinite_total, "global_step": pos.global_step}
    if env.is_main:
        atomic_save({"model": distiller.state_dict(), "epoch": last_epoch, "metrics": summary["last"]},
                    os.path.join(cfg.run_dir, "final.pth"))
        atomic_write_text(json.dumps(summary, indent=2), os.path.join(cfg.run_dir, "summary.json"))
    logger.info(f"finished: last epoch {last_epoch}: {summary['last']}")
    logger.close()
    return summary
