"""The student trained alone: cross-entropy (soft-target cross-entropy for 2-D labels)."""
from __future__ import annotations

import torch
from torch import nn

from ..losses import classification_loss
from .base import Distiller
from .registry import register


@register("vanilla", family="student", label="student alone")
class Vanilla(Distiller):
    """Loss {"ce": CE(student(x), y)}; a teacher, if given, is never used."""

    def __init__(self, student: nn.Module, teacher: nn.Module | None = None):
        super().__init__(student, teacher)

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        return {"ce": classification_loss(self.student(images), labels)}

    def graph_key(self) -> object:
        return None  # the step ignores the epoch
