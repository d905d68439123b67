"""Mixup / CutMix with label smoothing, returning 2-D soft targets (timm's ``Mixup``).

For a batch, with λ ~ Beta(α, α) of the chosen method (mixup α = ``mixup_alpha``, cutmix
α = ``cutmix_alpha``; when both are on, each batch picks one with probability 1/2), images are
mixed with the batch reversed, x~ = λ·x + (1-λ)·flip(x) (CutMix pastes a box and sets λ to the
pasted area's complement), and the targets are
    y~ = λ·s(y) + (1-λ)·s(flip(y)),   s(y) = (1-ε)·onehot(y) + ε/C,
so every row sums to 1. With both alphas 0 only label smoothing applies (y~ = s(y)).
Random draws use NumPy's global generator (seed it, as the engine does). The images are
mixed in place; the batch size must be even.
"""
from __future__ import annotations

import torch
from timm.data import Mixup
from timm.data.mixup import mixup_target

RECIPE_MIXING = {
    "A1": {"mixup_alpha": 0.2, "cutmix_alpha": 1.0, "label_smoothing": 0.1},
    "A2": {"mixup_alpha": 0.1, "cutmix_alpha": 1.0, "label_smoothing": 0.0},
}


class MixupCutmix:
    def __init__(self, num_classes: int, mixup_alpha: float = 0.0, cutmix_alpha: float = 0.0,
                 label_smoothing: float = 0.0):
        if min(mixup_alpha, cutmix_alpha) < 0 or not 0 <= label_smoothing < 1:
            raise ValueError(f"need alphas >= 0 and 0 <= label_smoothing < 1, got mixup {mixup_alpha}, "
                             f"cutmix {cutmix_alpha}, smoothing {label_smoothing}")
        self.num_classes, self.label_smoothing = num_classes, label_smoothing
        self.mixup = None
        if mixup_alpha > 0 or cutmix_alpha > 0:
            self.mixup = Mixup(mixup_alpha=mixup_alpha, cutmix_alpha=cutmix_alpha, label_smoothing=label_smoothing,
                               num_classes=num_classes, mode="batch")

    @classmethod
    def for_recipe(cls, recipe: str, num_classes: int) -> "MixupCutmix":
        if recipe not in RECIPE_MIXING:
            raise ValueError(f"unknown augmentation recipe {recipe!r}; choose one of {sorted(RECIPE_MIXING)}")
        return cls(num_classes, **RECIPE_MIXING[recipe])

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mixed images, soft targets of shape (B, num_classes))."""
        if self.mixup is None:
            return images, mixup_target(labels, self.num_classes, 1.0, self.label_smoothing)
        if len(images) % 2:
            raise ValueError(f"mixup/cutmix needs an even batch size, got {len(images)}: use an even batch "
                             f"size and drop the last incomplete batch")
        return self.mixup(images, labels)
