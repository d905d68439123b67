"""GenDD stage 1 on the command line, shared by the CIFAR and ImageNet trees: its flags and
training configuration (cross-entropy through the frozen teacher classifier; AdamW, cosine
decay after an optional warm-up, docs/method.md §3-4), and stage 2's start from its result
(``--path_pretrain``; ``auto``: the ``final.pth`` of the stage-1 run of the same pair)."""
from __future__ import annotations

import argparse
import os

from torch import nn

from ..distillers import build
from ..distillers.gendd_pretrain import student_state_from_pretrain
from ..engine import TrainConfig
from ..state_dicts import load_state_dict_strict
from .engine import add_training_args, fit_or_stop, start_process, start_run, train_config
from .guard import UserError


def add_stage1_args(p: argparse.ArgumentParser, *, model_s: str, epochs: int, learning_rate: float,
                    weight_decay: float) -> None:
    """The stage-1 flags with the tree's defaults."""
    p.add_argument("--model_s", default=model_s)
    add_training_args(p, epochs=epochs, learning_rate=learning_rate, weight_decay=weight_decay)
    p.add_argument("--warmup_epochs", type=float, default=0)


def stage1_train_config(args: argparse.Namespace, run_dir: str) -> TrainConfig:
    """AdamW, cosine decay after --warmup_epochs of linear warm-up."""
    return train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="adamw",
                        weight_decay=args.weight_decay, lr_schedule="cosine", warmup_epochs=args.warmup_epochs)


def stage1_file(args: argparse.Namespace, stage1_run_dir: str, how_to_run_it: str) -> str:
    """The stage-1 file named by --path_pretrain ('' when none). ``auto`` means
    ``<stage1_run_dir>/final.pth``, which must exist except in a dry run (whose stage 1 has not
    run either); ``how_to_run_it`` tells the user which command makes it."""
    if args.path_pretrain != "auto":
        return args.path_pretrain
    path = os.path.join(stage1_run_dir, "final.pth")
    if not os.path.isfile(path) and not args.dry_run:
        raise UserError(f"--path_pretrain auto: no finished stage-1 run at {path}; {how_to_run_it} first")
    return path


def load_pretrained_student(student: nn.Module, path: str) -> None:
    """Start stage 2 from the stage-1 backbone (its proj is discarded)."""
    load_state_dict_strict(student, student_state_from_pretrain(path), what=f"stage-1 file {path!r}",
                           hint="this stage-1 file was written for another student: pass the stage-1 run "
                                "of this --model_s")


def start_from_stage1(args: argparse.Namespace, student: nn.Module, stage1_run_dir: str, how_to_run_it: str) -> str:
    """Load the stage-1 student named by --path_pretrain into ``student`` (strictly; its proj is
    discarded) and return the file's path; '' when there is none to load (no --path_pretrain,
    or ``auto`` in a dry run before stage 1 has finished)."""
    path = stage1_file(args, stage1_run_dir, how_to_run_it)
    if not path or (args.path_pretrain == "auto" and not os.path.isfile(path)):
        return ""
    load_pretrained_student(student, path)
    return path


def run_stage1(args: argparse.Namespace, tree) -> None:
    """GenDD stage 1 of a tree (``gendd.cli.tree.Tree``): read and check the data and the teacher,
    then claim the stage-1 run folder and train (or stop after a dry run)."""
    env = start_process(args)
    run_dir = tree.stage1_run_dir(args)
    data = tree.build_data(args, env)
    teacher = tree.teacher_from_args(args, env, data)
    student = tree.build_model(args.model_s, data.num_classes)
    distiller = build("gendd_pretrain", student, **tree.teacher_kwargs(teacher))
    cfg = stage1_train_config(args, run_dir)
    logger = start_run(args, env, run_dir)
    tree.report_teacher(teacher, args, env, data, logger)
    fit_or_stop(args, logger, distiller, data.source, data.eval, cfg, env)
