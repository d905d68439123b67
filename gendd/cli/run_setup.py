"""Building a run from the flags, shared by every training script of both trees: join the
process group and seed (``start_process``), the global batch per process (``split_batch``),
the trial's seed (``trial_seed``), the run folder's name (``run_name``) and what it records
(``RunFolder``, read from the flags once by ``run_folder``), claim it (``start_run``) and ``fit``
(or stop after a dry run: ``fit_or_stop``). Past ``run_folder`` nothing reads the namespace.
"""
from __future__ import annotations

import argparse
import dataclasses
import zlib

from ..engine import RunLogger, TrainConfig, fit, init_distributed, prepare_run_dir, seed_everything
from ..engine.amp import check_amp
from ..engine.dist import DistEnv
from ..engine.layout import per_process_batch
from ..engine.lock import claim_run_dir
from ..engine.logger import wandb_available
from ..engine.rundir import take_note
from ..engine.signals import set_phase
from .guard import UserError


def start_process(args: argparse.Namespace) -> DistEnv:
    """Join the process group (torchrun's environment, or one process) and seed torch, NumPy and
    Python with --seed, the same on every rank; called before any model is built, so that every
    rank and every restart of one command builds the same initial weights. Without --seed the
    seed is the trial's (see ``trial_seed``), so that trials differ; the resolved value is what
    the run's config.yaml records. The flag values were checked when parsed (``CheckedParser``);
    --amp with --cuda_graph is checked here."""
    try:
        check_amp(getattr(args, "amp", False), getattr(args, "cuda_graph", False))
    except ValueError as err:
        raise UserError(str(err)) from err
    env = init_distributed(args.device)
    split_batch(args, env)
    if args.seed is None:
        args.seed = trial_seed(getattr(args, "trial", "0"))
    seed_everything(args.seed)
    return env


def split_batch(args: argparse.Namespace, env: DistEnv) -> None:
    """--batch_size is the global batch: set ``args.batch_per_process`` (what each data source
    takes) and ``args.world_size``, both recorded in config.yaml (see ``engine.layout``). With
    --evaluate the training batch is unused, so one that does not divide is not an error."""
    if not hasattr(args, "batch_size"):
        return
    args.world_size = env.world_size
    try:
        args.batch_per_process = per_process_batch(args.batch_size, env.world_size)
    except ValueError as err:
        if not getattr(args, "evaluate", False):
            raise UserError(str(err)) from err
        args.batch_per_process = max(1, args.batch_size // env.world_size)


def trial_seed(trial: object) -> int:
    """The default seed of a trial: the trial itself when it is a non-negative integer
    ('0', '3'), otherwise CRC-32 of its name (stable across runs, machines and Python versions)."""
    text = str(trial)
    return int(text) if text.isdigit() else zlib.crc32(text.encode())



@dataclasses.dataclass(frozen=True)
class RunFolder:
    """A run's folder and what it records: ``config`` (every flag, written to config.yaml and
    compared with the folder's on a restart), how a folder holding another configuration is
    treated (``resume_mode``), whether the run also logs to wandb, and whether it is a dry run."""
    path: str
    config: dict
    resume_mode: str = "auto"
    wandb: bool = False
    dry_run: bool = False


def run_folder(args: argparse.Namespace, path: str) -> RunFolder:
    """The ``RunFolder`` at ``path`` of the command line ``args`` (read after ``start_process``,
    which adds the resolved seed and the batch per process)."""
    return RunFolder(path, dict(sorted(vars(args).items())), args.resume_mode, getattr(args, "wandb", False),
                     args.dry_run)


def start_run(folder: RunFolder, env: DistEnv) -> RunLogger:
    """Claim ``folder`` for this process and this configuration (see ``claim_run_dir`` and
    ``prepare_run_dir``) and open its logger."""
    wandb_config = folder.config if folder.wandb else None
    if wandb_config is not None and env.is_main and not wandb_available():
        raise UserError("--wandb needs the wandb package, which is not installed: pip install wandb "
                        "(then `wandb login`), or run without --wandb")
    claim_run_dir(folder.path, env.is_main)
    prepare_run_dir(folder.path, folder.config, folder.resume_mode, env.is_main)
    logger = RunLogger(folder.path, enabled=env.is_main, wandb_config=wandb_config)
    logger.info(f"run folder {folder.path} ({env.world_size} process(es) on {env.device})")
    note = take_note(folder.path)
    if note:
        logger.info(note)
    if "batch_per_process" in folder.config:
        logger.info(f"global batch {folder.config['batch_size']} = {env.world_size} process(es) x "
                    f"{folder.config['batch_per_process']}")
    return logger


def fit_or_stop(folder: RunFolder, logger: RunLogger, distiller, source, eval_data, cfg: TrainConfig,
                env: DistEnv) -> bool:
    """``fit`` the distiller, or in a dry run log that every piece was built and stop; True
    when it trained."""
    if folder.dry_run:
        logger.info(f"dry run: {type(distiller).__name__} built, stopping before training")
        return False
    set_phase("training")
    fit(distiller, source, eval_data, cfg, env, logger)
    set_phase("after")
    return True



def run_name(*parts: object) -> str:
    """Folder-safe run name: parts joined by '_', no ':' or '/' in it."""
    name = "_".join(str(p) for p in parts if p not in (None, ""))
    return name.replace(":", "-").replace("/", "-").replace(" ", "")
