"""Decoupled knowledge distillation: CE + min(epoch/warmup, 1)·(α·TCKD + β·NCKD), both terms × T².

Per-pair β (CIFAR, T 4, warmup 20): 8 for resnet32x4→resnet8x4, ShuffleNet students and
ResNet50→MobileNetV2; 2 for resnet56→resnet20 and resnet110→resnet32; 6 for vgg13→vgg8,
vgg13→MobileNetV2, wrn_40_2→wrn_16_2 and wrn_40_2→wrn_40_1. ImageNet: T 1, warmup 1,
β 0.5 (R34→R18) / 2.0 (R50→MV1). With 2-D (soft) labels the target class is their argmax
and CE is the soft-target cross-entropy.
"""
from __future__ import annotations

import torch
from torch import nn

from ..losses import classification_loss, dkd_terms, hard_labels
from .base import Distiller
from .registry import register, require_valid
from .shared_flags import LOSS_WARMUP, TEMPERATURE, loss_weight
from .warmup import warmup_factor

FLAGS = (loss_weight("dkd_alpha", "DKD: weight of TCKD", param="alpha"),
         loss_weight("dkd_beta", "DKD: weight of NCKD", param="beta"), TEMPERATURE, LOSS_WARMUP)


@register("dkd", family="baseline", label="DKD", flags=FLAGS)
class DKD(Distiller):
    """Losses {"ce": CE, "dkd": min(epoch/warmup, 1)·(α·TCKD + β·NCKD)}; epoch is ``self.epoch``."""

    def __init__(
        self,
        student: nn.Module,
        teacher: nn.Module | None = None,
        alpha: float = 1.0,
        beta: float = 8.0,
        temperature: float = 4.0,
        warmup_epochs: float = 20.0,
    ):
        super().__init__(student, teacher)
        require_valid(FLAGS, alpha=alpha, beta=beta, temperature=temperature, warmup_epochs=warmup_epochs)
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmup_epochs = warmup_epochs

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        _, teacher_logits = self.teacher_outputs(images)
        student_logits = self.student(images)
        ce = classification_loss(student_logits, labels)
        tckd, nckd = dkd_terms(student_logits, teacher_logits, hard_labels(labels), self.temperature)
        weight = warmup_factor(self.epoch, self.warmup_epochs)
        return {"ce": ce, "dkd": weight * (self.alpha * tckd + self.beta * nckd)}
