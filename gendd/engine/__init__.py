"""The training engine shared by every script: distributed set-up, seeding, resumable data
order, exact evaluation, schedules, atomic checkpoints, logging and the training loop."""
from .checkpoint import CheckpointManager, atomic_save
from .data import DatasetSource, ResumableBatchSampler, SeededDataset, eval_loader
from .dist import DistEnv, init_distributed, shutdown
from .evaluate import evaluate
from .logger import RunLogger
from .rundir import RunDirConflict, prepare_run_dir
from .schedules import LRSchedule, beta2_at
from .seeding import seed_everything
from .trainer import NonFiniteLoss, Preempted, TrainConfig, fit

__all__ = ["CheckpointManager", "atomic_save", "DatasetSource", "ResumableBatchSampler", "SeededDataset",
           "eval_loader", "DistEnv", "init_distributed", "shutdown", "evaluate", "RunLogger", "RunDirConflict",
           "prepare_run_dir", "LRSchedule", "beta2_at", "seed_everything", "NonFiniteLoss", "Preempted",
           "TrainConfig", "fit"]
