"""The body of the ImageNet-tree scripts that train a plain classifier with SGD: the KD/DKD/IKL
baselines, label-free KD on CC3M and the ImageNet-LT teacher; and their ``--evaluate``
(top-1 of the student's own logits, shot groups on ImageNet-LT).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from gendd.cli import UserError, add_training_args, epoch_list, run_folder, start_process, train_config
from gendd.cli.stage_run import run_stage
from gendd.validation import NON_NEGATIVE, checked, within

from .data_args import Data, build_data
from .evaluation import (add_results_table_arg, checkpoint_to_evaluate, evaluate_and_report, load_student_for_eval,
                         setting_of)
from .models import build_model
from .teacher_args import teacher_from_args


def add_sgd_args(p, lr: float, weight_decay: float, epochs: int = 100) -> None:
    g = p.add_argument_group("optimisation (SGD)")
    add_training_args(g, epochs=epochs, learning_rate=lr, weight_decay=weight_decay)
    checked(g.add_argument("--momentum", type=float, default=0.9), within(0, 1, high_open=True))
    g.add_argument("--lr_schedule", default="step", choices=["step", "cosine"])
    g.add_argument("--lr_decay_epochs", default="30,60,90", help="×0.1 at these epochs (step schedule)")
    checked(g.add_argument("--warmup_epochs", type=float, default=0, help="linear lr warm-up epochs"), NON_NEGATIVE)
    checked(g.add_argument("--min_lr", type=float, default=0.0, help="end of the cosine schedule"), NON_NEGATIVE)
    g.add_argument("--resume", default="", help="with --evaluate: the checkpoint to evaluate (default: the run's "
                   "final.pth)")
    g.add_argument("--evaluate", action="store_true", help="evaluate --resume (or the run's final.pth) and exit")
    add_results_table_arg(p)


def sgd_config(args, run_dir: str):
    return train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="sgd",
                        weight_decay=args.weight_decay, momentum=args.momentum, lr_schedule=args.lr_schedule,
                        milestones=epoch_list(args.lr_decay_epochs), warmup_epochs=args.warmup_epochs,
                        min_lr=args.min_lr)


def run_logits(args, run_dir: str, row: dict, make_distiller: Callable, with_teacher: bool = True) -> None:
    """Train ``make_distiller(student, teacher)`` into ``run_dir`` (``student`` is
    ``args.model_s`` with the data's class count), or evaluate its final.pth with --evaluate."""
    env = start_process(args)
    data: Data = build_data(args, env, train=not args.evaluate)
    student = build_model(args.model_s, data.num_classes)
    row = dict(row, setting=setting_of(args), student=args.model_s, sampling="-")
    if args.evaluate:
        path = checkpoint_to_evaluate(args, run_dir)
        evaluate_and_report(load_student_for_eval(student, path), args, env, data, path, row)
        return
    teacher = teacher_from_args(args, env, data) if with_teacher else None
    try:
        distiller = make_distiller(student, teacher.module if teacher else None)
    except ValueError as err:
        raise UserError(str(err)) from err
    cfg = sgd_config(args, run_dir)
    trained = run_stage(env, data, distiller, teacher, run_folder(args, run_dir), cfg) is not None
    if trained and data.train_counts is not None:  # ImageNet-LT: shot-group accuracies of the final model
        evaluate_and_report(distiller.student, args, env, data, os.path.join(run_dir, "final.pth"), row)
