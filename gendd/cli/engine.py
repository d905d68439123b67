"""Engine flags and the set-up every training script of both trees shares: join the process
group and seed (``start_process``), claim the run folder (``start_run``), the engine settings
(``train_config``) and ``fit`` (or stop after a dry run).
"""
from __future__ import annotations

import argparse
import dataclasses
import zlib

from ..engine import RunLogger, TrainConfig, fit, init_distributed, prepare_run_dir, seed_everything
from ..engine.rundir import take_note
from ..engine.signals import set_phase
from ..engine.amp import MODES, check_amp
from ..engine.dist import DistEnv
from ..engine.layout import per_process_batch
from ..engine.lock import claim_run_dir
from ..engine.logger import wandb_available
from ..validation import first_invalid_flag
from .guard import UserError


# --cuda_graph when not given: "auto" captures the step of every one-process CUDA run (bench/README.md)
CUDA_GRAPH_DEFAULT = "off"


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """The engine flags; those of the training loop default to ``TrainConfig``'s values."""
    d = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    g = p.add_argument_group("engine")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    g.add_argument("--num_workers", type=int, default=8, help="data-loader processes per rank")
    g.add_argument("--seed", type=int, default=None,
                   help="base seed, the same on every rank (default: the trial: --trial 3 seeds 3, "
                        "a non-numeric trial a stable hash of it)")
    g.add_argument("--save_dir", default="save", help="root of all run folders")
    g.add_argument("--eval_every", type=int, default=d["eval_every"],
                   help="evaluate every N epochs (and after the last)")
    g.add_argument("--save_every_steps", type=int, default=d["save_every_steps"],
                   help="also checkpoint every N steps (0: per epoch only)")
    g.add_argument("--keep_last", type=int, default=d["keep_last"], help="checkpoints kept in <run>/checkpoints")
    g.add_argument("--log_every", type=int, default=d["log_every"], help="log training losses every N steps")
    g.add_argument("--resume_mode", default="auto", choices=["auto", "resume", "overwrite"],
                   help="a run folder holding another configuration: refuse (auto), continue it (resume) "
                        "or delete it first (overwrite); the same configuration always resumes")
    g.add_argument("--amp", nargs="?", const="bf16", default=False, choices=MODES,
                   help="mixed precision on CUDA (ignored on CPU): bf16 (a bare --amp), or fp16 with a gradient "
                        "scaler for GPUs without fast bf16; not fp16 with --cuda_graph")
    g.add_argument("--cuda_graph", nargs="?", const="on", default=CUDA_GRAPH_DEFAULT, choices=["auto", "on", "off"],
                   help="capture the training step once as a CUDA graph and replay it: on (the bare flag), auto "
                        f"(one-process CUDA runs only) or off (default: {CUDA_GRAPH_DEFAULT}). Ignored with a notice "
                        "under DDP. With 'on' and no CUDA the captured step's program runs eagerly, with no graph: "
                        "the same training up to float32 rounding, but GenDD then draws its feature mixup from "
                        "another random stream, so its weights differ from a run without the flag")
    g.add_argument("--sync_bn", action="store_true", help="SyncBatchNorm across ranks")
    g.add_argument("--max_nonfinite", type=int, default=d["max_nonfinite"],
                   help="stop after this many non-finite losses in a row")
    g.add_argument("--dry_run", action="store_true", help="build every piece from the command line, then stop")
    g.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (needs `pip install wandb`; "
                                                        "project from WANDB_PROJECT, default 'gendd')")
    g.add_argument("--debug", action="store_true", help="print the traceback of an expected failure too")


def add_training_args(p, *, epochs: int, learning_rate: float, weight_decay: float) -> None:
    """--epochs, --learning_rate and --weight_decay with the script's defaults (``p``: a parser
    or an argument group)."""
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--learning_rate", type=float, default=learning_rate)
    p.add_argument("--weight_decay", type=float, default=weight_decay)


def start_process(args: argparse.Namespace) -> DistEnv:
    """Join the process group (torchrun's environment, or one process) and seed torch, NumPy and
    Python with --seed, the same on every rank; called before any model is built, so that every
    rank and every restart of one command builds the same initial weights. Without --seed the
    seed is the trial's (see ``trial_seed``), so that trials differ; the resolved value is what
    the run's config.yaml records. Every flag value is checked first (see ``gendd.validation``)."""
    problem = first_invalid_flag(args)
    try:
        check_amp(getattr(args, "amp", False), getattr(args, "cuda_graph", False))
    except ValueError as err:
        problem = problem or str(err)
    if problem:
        raise UserError(problem)
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


def train_config(args: argparse.Namespace, run_dir: str, **method) -> TrainConfig:
    """Engine settings from the shared flags plus the script's optimiser/schedule choices."""
    return TrainConfig(run_dir=run_dir, seed=args.seed, eval_every=args.eval_every,
                       save_every_steps=args.save_every_steps, keep_last=args.keep_last, log_every=args.log_every,
                       amp=args.amp, sync_bn=args.sync_bn, max_nonfinite=args.max_nonfinite,
                       cuda_graph=args.cuda_graph, **method)


def start_run(args: argparse.Namespace, env: DistEnv, run_dir: str) -> RunLogger:
    """Claim ``run_dir`` for this process and this configuration (see ``claim_run_dir`` and
    ``prepare_run_dir``) and open its logger."""
    config = dict(sorted(vars(args).items()))
    wandb_config = config if getattr(args, "wandb", False) else None
    if wandb_config is not None and env.is_main and not wandb_available():
        raise UserError("--wandb needs the wandb package, which is not installed: pip install wandb "
                        "(then `wandb login`), or run without --wandb")
    claim_run_dir(run_dir, env.is_main)
    prepare_run_dir(run_dir, config, args.resume_mode, env.is_main)
    logger = RunLogger(run_dir, enabled=env.is_main, wandb_config=wandb_config)
    logger.info(f"run folder {run_dir} ({env.world_size} process(es) on {env.device})")
    note = take_note(run_dir)
    if note:
        logger.info(note)
    if hasattr(args, "batch_per_process"):
        logger.info(f"global batch {args.batch_size} = {env.world_size} process(es) x {args.batch_per_process}")
    return logger


def fit_or_stop(args: argparse.Namespace, logger: RunLogger, distiller, source, eval_data, cfg: TrainConfig,
                env: DistEnv) -> bool:
    """``fit`` the distiller, or with --dry_run log that every piece was built and stop; True
    when it trained."""
    if args.dry_run:
        logger.info(f"dry run: {type(distiller).__name__} built, stopping before training")
        return False
    set_phase("training")
    fit(distiller, source, eval_data, cfg, env, logger)
    set_phase("after")
    return True


def epoch_list(spec: str) -> tuple[int, ...]:
    """'150,180,210' -> (150, 180, 210); an empty string gives ()."""
    try:
        return tuple(int(m) for m in spec.split(",") if m.strip())
    except ValueError as err:
        raise UserError(f"expected comma-separated epochs like '150,180,210', got {spec!r}") from err


def run_name(*parts: object) -> str:
    """Folder-safe run name: parts joined by '_', no ':' or '/' in it."""
    name = "_".join(str(p) for p in parts if p not in (None, ""))
    return name.replace(":", "-").replace("/", "-").replace(" ", "")
