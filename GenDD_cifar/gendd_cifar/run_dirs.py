"""Run folders of the CIFAR tree, named in one place:

* students: ``<save_dir>/<kind>/S-<student>_T-<teacher>_<dataset>_trial_<trial>`` (kind e.g.
  student_gendd, student_pretrain, student_kd; T-none without a teacher);
* teachers: ``<save_dir>/models/<model>_<dataset>_trial_<trial>``.
"""
from __future__ import annotations

import os

from gendd.cli import run_name

from .teacher_args import teacher_arch


def run_dir_of(args, kind: str) -> str:
    """The student run folder of ``kind`` for this pair, data set and trial."""
    teacher = teacher_arch(args) or ("teacher" if args.path_t else "none")
    return os.path.join(args.save_dir, kind,
                        run_name(f"S-{args.model_s}", f"T-{teacher}", args.dataset, "trial", args.trial))


def stage1_run_dir(args) -> str:
    """The GenDD stage-1 run of the same pair, data set and trial (made by ``STAGE1_COMMAND``)."""
    return run_dir_of(args, "student_pretrain")


STAGE1_COMMAND = "run train_student_pretrain.py with the same --model_s/--path_t/--dataset/--trial/--save_dir"


def teacher_run_dir(args) -> str:
    """The run folder of a teacher trained from scratch (``--model``)."""
    return os.path.join(args.save_dir, "models", run_name(args.model, args.dataset, "trial", args.trial))
