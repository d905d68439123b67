"""ImageNet-LT: list-file datasets, training class counts, shot groups and group accuracies.

List files hold one ``relative/path.JPEG label`` per line (paths relative to the ImageNet root).
Shot groups are defined by the number n_c of *training* images of class c:
many-shot n_c > 100, medium-shot 20 <= n_c <= 100, few-shot n_c < 20.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import torch
from torch.utils.data import Dataset

from ..prepare.imagenet_lt import read_list
from .imagefolder import read_image

MANY_ABOVE, FEW_BELOW = 100, 20


class ImageNetLT(Dataset):
    """Images of a list file under ``root``; ``num_classes`` defaults to the largest label + 1."""

    def __init__(self, root: str, list_file: str, transform: Callable | None = None, num_classes: int | None = None):
        self.root, self.transform = root, transform
        self.samples = read_list(list_file)
        self.targets = [label for _, label in self.samples]
        self.num_classes = max(self.targets) + 1 if num_classes is None else num_classes
        if max(self.targets) >= self.num_classes:
            raise ValueError(f"{list_file} has label {max(self.targets)} but the training list defines "
                             f"{self.num_classes} classes")

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image = read_image(os.path.join(self.root, path))
        return (self.transform(image) if self.transform else image), label


def class_counts(labels: Sequence[int], num_classes: int) -> torch.Tensor:
    """n_c: the number of samples of each class, shape (num_classes,)."""
    return torch.bincount(torch.as_tensor(list(labels), dtype=torch.long), minlength=num_classes)


def shot_groups(train_counts: torch.Tensor) -> dict[str, torch.Tensor]:
    """Boolean class masks: many (n_c > 100), medium (20 <= n_c <= 100), few (n_c < 20)."""
    counts = torch.as_tensor(train_counts)
    return {"many": counts > MANY_ABOVE, "medium": (counts >= FEW_BELOW) & (counts <= MANY_ABOVE),
            "few": counts < FEW_BELOW}


def shot_accuracies(correct: torch.Tensor, total: torch.Tensor, train_counts: torch.Tensor) -> dict[str, float]:
    """Top-1 accuracies in %: overall = 100·Σ correct / Σ total; a group's accuracy is the mean
    over its classes (those with test samples) of the per-class accuracy 100·correct_c / total_c,
    NaN for a group without such classes. ``correct``/``total`` are per-class test counts."""
    correct, total = torch.as_tensor(correct, dtype=torch.float64), torch.as_tensor(total, dtype=torch.float64)
    if not correct.shape == total.shape == torch.as_tensor(train_counts).shape:
        raise ValueError(f"per-class correct {tuple(correct.shape)}, total {tuple(total.shape)} and training "
                         f"counts {tuple(torch.as_tensor(train_counts).shape)} must have one entry per class")
    results = {"overall": 100.0 * correct.sum().item() / max(total.sum().item(), 1.0)}
    for name, mask in shot_groups(train_counts).items():
        tested = mask & (total > 0)
        per_class = correct[tested] / total[tested]
        results[name] = 100.0 * per_class.mean().item() if tested.any() else math.nan
    return results
