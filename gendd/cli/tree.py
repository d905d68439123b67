"""What a tree (CIFAR, ImageNet) gives the script bodies both trees share: its data, models,
teachers and run folders, as functions of the same signatures in both (each tree's
``tree.TREE``, built from its ``data_args``, ``teacher_args`` and ``run_dirs`` modules)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Tree:
    build_data: Callable         # (args, env, train=True) -> data with .num_classes, .source, .eval
    build_model: Callable        # (name, num_classes) -> student or teacher nn.Module
    teacher_from_args: Callable  # (args, env, data) -> frozen teacher on the device
    report_teacher: Callable     # (teacher, args, env, data, logger) -> None
    teacher_kwargs: Callable     # (teacher) -> keywords naming the teacher to a GenDD stage
    stage1_run_dir: Callable     # (args) -> the GenDD stage-1 run folder of this pair and trial
    how_to_run_stage1: str       # the command that makes that run, for error messages
