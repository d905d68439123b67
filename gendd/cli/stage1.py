"""GenDD stage 1 on the command line, shared by the CIFAR and ImageNet trees: its flags and
training configuration (cross-entropy through the frozen teacher classifier; AdamW, cosine
decay after an optional warm-up, docs/method.md §3-4), its training body (``train_stage1``, on
the objects the tree's script built), and stage 2's start from its result (``--path_pretrain``;
``auto``: the ``final.pth`` of the stage-1 run of the same pair)."""
from __future__ import annotations

import argparse
import os

from torch import nn

from ..distillers import build
from ..distillers.gendd_pretrain import student_state_from_pretrain
from ..engine import TrainConfig
from ..engine.dist import DistEnv
from ..state_dicts import load_state_dict_strict
from .engine_flags import add_training_args, train_config
from ..validation import NON_NEGATIVE, checked
from .guard import UserError
from .run_setup import RunFolder
from .stage_run import run_stage
from .teacher import Teacher


def add_stage1_args(p: argparse.ArgumentParser, *, model_s: str, epochs: int, learning_rate: float,
                    weight_decay: float) -> None:
    """The stage-1 flags with the tree's defaults."""
    p.add_argument("--model_s", default=model_s)
    add_training_args(p, epochs=epochs, learning_rate=learning_rate, weight_decay=weight_decay)
    checked(p.add_argument("--warmup_epochs", type=float, default=0), NON_NEGATIVE)


def stage1_train_config(args: argparse.Namespace, run_dir: str) -> TrainConfig:
    """AdamW, cosine decay after --warmup_epochs of linear warm-up."""
    return train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="adamw",
                        weight_decay=args.weight_decay, lr_schedule="cosine", warmup_epochs=args.warmup_epochs)


def stage1_start(path_pretrain: str, stage1_run_dir: str, dry_run: bool, how_to_run_it: str) -> str:
    """The stage-1 file stage 2 starts from ('' when none): ``path_pretrain`` (--path_pretrain) as
    given, or for ``auto`` ``<stage1_run_dir>/final.pth``, which must exist except in a dry run
    (whose stage 1 has not run either: then ''); ``how_to_run_it`` tells the user which command
    makes it."""
    if path_pretrain != "auto":
        return path_pretrain
    path = os.path.join(stage1_run_dir, "final.pth")
    if os.path.isfile(path):
        return path
    if dry_run:
        return ""
    raise UserError(f"--path_pretrain auto: no finished stage-1 run at {path}; {how_to_run_it} first")


def load_pretrained_student(student: nn.Module, path: str) -> None:
    """Start stage 2 from the stage-1 backbone (its proj is discarded)."""
    load_state_dict_strict(student, student_state_from_pretrain(path), what=f"stage-1 file {path!r}",
                           hint="this stage-1 file was written for another student: pass the stage-1 run "
                                "of this --model_s")


def train_stage1(env: DistEnv, data, student: nn.Module, teacher: Teacher, folder: RunFolder,
                 cfg: TrainConfig) -> bool:
    """GenDD stage 1: fit ``student`` through ``teacher``'s classifier on ``data`` into ``folder``
    (every piece built by the tree's script from its flags); True when it trained."""
    distiller = build("gendd_pretrain", student, **teacher.gendd_kwargs())
    return run_stage(env, data, distiller, teacher, folder, cfg) is not None
