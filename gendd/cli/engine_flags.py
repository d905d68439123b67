"""The engine's command-line flags, shared by every training script of both trees: the engine
group (device, run folder root, checkpoints, logging, precision, CUDA graph, dry run), the
training length and optimiser flags with each script's defaults, and the ``TrainConfig`` they
make (``train_config``).
"""
from __future__ import annotations

import argparse
import dataclasses

from ..engine import TrainConfig
from ..engine.amp import MODES
from ..validation import LEARNING_RATE, NON_NEGATIVE, POSITIVE, checked
from .guard import UserError

# --cuda_graph when not given: "auto" captures the step of every one-process CUDA run (bench/README.md)
CUDA_GRAPH_DEFAULT = "off"


def add_engine_args(p: argparse.ArgumentParser) -> None:
    """The engine flags; those of the training loop default to ``TrainConfig``'s values."""
    d = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    g = p.add_argument_group("engine")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    checked(g.add_argument("--num_workers", type=int, default=8, help="data-loader processes per rank"), NON_NEGATIVE)
    g.add_argument("--seed", type=int, default=None,
                   help="base seed, the same on every rank (default: the trial: --trial 3 seeds 3, "
                        "a non-numeric trial a stable hash of it)")
    g.add_argument("--save_dir", default="save", help="root of all run folders")
    checked(g.add_argument("--eval_every", type=int, default=d["eval_every"],
                           help="evaluate every N epochs (and after the last)"), POSITIVE)
    checked(g.add_argument("--save_every_steps", type=int, default=d["save_every_steps"],
                           help="also checkpoint every N steps (0: per epoch only)"), NON_NEGATIVE)
    checked(g.add_argument("--keep_last", type=int, default=d["keep_last"],
                           help="checkpoints kept in <run>/checkpoints"), POSITIVE)
    checked(g.add_argument("--log_every", type=int, default=d["log_every"],
                           help="log training losses every N steps"), POSITIVE)
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
    checked(g.add_argument("--max_nonfinite", type=int, default=d["max_nonfinite"],
                           help="stop after this many non-finite losses in a row"), POSITIVE)
    g.add_argument("--dry_run", action="store_true", help="build every piece from the command line, then stop")
    g.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (needs `pip install wandb`; "
                                                        "project from WANDB_PROJECT, default 'gendd')")
    g.add_argument("--debug", action="store_true", help="print the traceback of an expected failure too")


def add_training_args(p, *, epochs: int, learning_rate: float, weight_decay: float) -> None:
    """--epochs, --learning_rate and --weight_decay with the script's defaults (``p``: a parser
    or an argument group)."""
    checked(p.add_argument("--epochs", type=int, default=epochs), POSITIVE)
    checked(p.add_argument("--learning_rate", type=float, default=learning_rate), LEARNING_RATE)
    checked(p.add_argument("--weight_decay", type=float, default=weight_decay), NON_NEGATIVE)



def train_config(args: argparse.Namespace, run_dir: str, **method) -> TrainConfig:
    """Engine settings from the shared flags plus the script's optimiser/schedule choices."""
    return TrainConfig(run_dir=run_dir, seed=args.seed, eval_every=args.eval_every,
                       save_every_steps=args.save_every_steps, keep_last=args.keep_last, log_every=args.log_every,
                       amp=args.amp, sync_bn=args.sync_bn, max_nonfinite=args.max_nonfinite,
                       cuda_graph=args.cuda_graph, **method)



def epoch_list(spec: str) -> tuple[int, ...]:
    """'150,180,210' -> (150, 180, 210); an empty string gives ()."""
    try:
        return tuple(int(m) for m in spec.split(",") if m.strip())
    except ValueError as err:
        raise UserError(f"expected comma-separated epochs like '150,180,210', got {spec!r}") from err
