"""Run folders of the ImageNet tree, named in one place:

* students: ``<save_dir>/<kind>/S-<student>_T-<teacher>_<data>[_<recipe>]_trial_<trial>`` (kind
  e.g. gendd, gendd_pretrain, kd, unsupervised_gendd);
* the ImageNet-LT teacher: ``<save_dir>/lt_teacher/<model>_imagenet_lt_trial_<trial>``.
"""
from __future__ import annotations

import os

from gendd.cli import run_name

from .teacher_args import teacher_arch

DATA_TAGS = {"imagenet": "imagenet", "cc3m": "cc3m", "lt": "imagenet_lt"}


def run_dir_of(args, kind: str) -> str:
    """The student run folder of ``kind`` for this pair, data, recipe and trial."""
    recipe = args.recipe if args.recipe != "none" else ""
    teacher = teacher_arch(args)
    return os.path.join(args.save_dir, kind, run_name(f"S-{args.model_s}", f"T-{teacher}" if teacher else "",
                                                      DATA_TAGS[args.data_kind], recipe, "trial", args.trial))


def stage1_run_dir(args) -> str:
    """The GenDD stage-1 run of the same pair, data, recipe and trial (made by ``STAGE1_COMMAND``)."""
    return run_dir_of(args, "gendd_pretrain")


STAGE1_COMMAND = "run main_gendd_pretrain.py with the same --model_s/--arch_t/--recipe/--trial/--save_dir"


def teacher_run_dir(args) -> str:
    """The run folder of the ImageNet-LT teacher trained from scratch (``--arch``)."""
    return os.path.join(args.save_dir, "lt_teacher", run_name(args.model_s, "imagenet_lt", "trial", args.trial))
