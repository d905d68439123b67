"""Knowledge distillation (Hinton et al.): ce_weight·CE + kd_weight·T²·KL(softmax(t/T) ‖ softmax(s/T)).

Forms used by the launchers: CIFAR (0.1, 0.9, T 4); ImageNet (0.5, 0.5, T 1); unsupervised
CC3M (ce_weight 0, kd_weight 1, T 1, labels None, ``train_fc=False``: the student's final
layer stays frozen, as in the original implementation).
"""
from __future__ import annotations

import torch
from torch import nn

from ..losses import classification_loss, kd_loss
from .base import Distiller
from .registry import register, require_valid
from .shared_flags import TEMPERATURE, loss_weight

FLAGS = (loss_weight("ce_weight", "KD: weight of the cross-entropy term"), loss_weight("kd_weight", "KD term weight"),
         TEMPERATURE)


@register("kd", family="baseline", label="KD", flags=FLAGS)
class KD(Distiller):
    """Losses {"ce": ce_weight·CE, "kd": kd_weight·KD}; "ce" is left out when ce_weight is 0."""

    def __init__(
        self,
        student: nn.Module,
        teacher: nn.Module | None = None,
        ce_weight: float = 0.1,
        kd_weight: float = 0.9,
        temperature: float = 4.0,
        train_fc: bool = True,
    ):
        super().__init__(student, teacher)
        require_valid(FLAGS, ce_weight=ce_weight, kd_weight=kd_weight, temperature=temperature)
        self.ce_weight = ce_weight
        self.kd_weight = kd_weight
        self.temperature = temperature
        self.train_fc = train_fc
        if not train_fc:
            if not isinstance(getattr(student, "fc", None), nn.Module):
                raise ValueError("train_fc=False needs a student with an `fc` final layer to freeze")
            student.fc.requires_grad_(False)

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        if self.ce_weight > 0 and labels is None:
            raise ValueError("KD got labels=None with ce_weight > 0; pass labels, or set ce_weight=0 (unsupervised KD)")
        _, teacher_logits = self.teacher_outputs(images)
        student_logits = self.student(images)
        losses = {}
        if self.ce_weight > 0:
            losses["ce"] = self.ce_weight * classification_loss(student_logits, labels)
        losses["kd"] = self.kd_weight * kd_loss(student_logits, teacher_logits, self.temperature)
        return losses

    def graph_key(self) -> object:
        return None  # the step ignores the epoch
