"""GenDD stage 1: fit the student feature to the frozen teacher classifier (docs/method.md §3).

logits = teacher_fc(proj(f_s)), proj = Linear(Ds→Dt) (Identity when Ds = Dt), trained with
cross-entropy (soft-target CE for 2-D labels). teacher_fc and the student's own fc are frozen.
Stage 2 starts from the stage-1 student (``student_state_from_pretrain``); proj is discarded.
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from ..state_dicts import StateDictMismatch, read_checkpoint, strip_prefix, unwrap
from .base import Distiller
from .contract import check_features
from .registry import register
from .teacher_layer import frozen_teacher_fc, student_feature_dim


@register("gendd_pretrain", family="stage1", label="GenDD stage 1")
class GenDDPretrain(Distiller):
    def __init__(self, student: nn.Module, teacher: nn.Module | None = None, *,
                 teacher_fc: nn.Linear | tuple[int, int] | None = None):
        super().__init__(student, teacher)
        self.teacher_fc = frozen_teacher_fc(teacher, teacher_fc)
        student_dim, teacher_dim = student_feature_dim(student), self.teacher_fc.in_features
        self.proj = nn.Identity() if student_dim == teacher_dim else nn.Linear(student_dim, teacher_dim)
        self.student.fc.requires_grad_(False)

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        features = check_features(self.student.forward_features(images), self.student.fc, "student")
        return self.teacher_fc(self.proj(features))

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        if labels is None:
            raise ValueError("GenDD stage 1 trains the student against the teacher classifier and needs labels")
        return {"ce": F.cross_entropy(self.logits(images), labels)}

    def graph_key(self) -> object:
        return None  # the step ignores the epoch

    def forward_eval(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits(images)


def student_state_from_pretrain(source: GenDDPretrain | str | os.PathLike | dict) -> dict[str, torch.Tensor]:
    """The student's state_dict (backbone and its fc) from a stage-1 module, file or checkpoint dict.

    Accepts this project's layout (``student.*``) and the original implementation's one (``model.*``), with or
    without a DDP ``module.`` prefix; ``proj.*`` and the teacher layer are dropped.
    """
    if isinstance(source, GenDDPretrain):
        return {k: v.clone() for k, v in source.student.state_dict().items()}
    if isinstance(source, (str, os.PathLike)):
        source = read_checkpoint(source)
    state = strip_prefix(unwrap(source), "module.")
    for prefix in ("student.", "model."):
        student = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if student:
            return student
    raise StateDictMismatch(
        f"no student weights in this stage-1 checkpoint: expected keys starting with 'student.' (this project) "
        f"or 'model.' (reference), got e.g. {sorted(state)[:5]}; pass the checkpoint written by the stage-1 run")
