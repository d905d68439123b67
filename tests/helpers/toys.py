"""Tiny models, data sets and a distiller shared by the tests."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from gendd.distillers.base import Distiller


class ToyNet(nn.Module):
    """conv -> (optional BN/dropout) -> pool -> fc, following the model contract."""

    def __init__(self, num_classes: int = 4, bn: bool = False, dropout: float = 0.0, width: int = 8):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width) if bn else nn.Identity()
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(width, num_classes)

    def forward_features(self, x):
        return self.drop(F.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))

    def forward(self, x):
        return self.fc(self.forward_features(x))


class LinearToy(nn.Module):
    """x -> activation(W x) as the pooled feature, then ``fc``: the smallest model with the contract."""

    def __init__(self, in_dim: int, feat_dim: int, classes: int, activation=torch.tanh):
        super().__init__()
        self.body = nn.Linear(in_dim, feat_dim)
        self.fc = nn.Linear(feat_dim, classes)
        self.activation = activation

    def forward_features(self, x):
        return self.activation(self.body(x))

    def forward(self, x):
        return self.fc(self.forward_features(x))


class ToyImages(Dataset):
    """n random 3x8x8 images with labels; optional random crop+flip augmentation (torch RNG)."""

    def __init__(self, n: int = 40, num_classes: int = 4, augment: bool = False, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 3, 8, 8, generator=g)
        self.y = torch.randint(0, num_classes, (n,), generator=g)
        self.augment = augment

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i]
        if self.augment:
            x = F.pad(x, (2, 2, 2, 2))
            dx, dy = torch.randint(0, 5, (2,)).tolist()
            x = x[:, dy:dy + 8, dx:dx + 8]
            if torch.rand(()) < 0.5:
                x = x.flip(-1)
        return x, self.y[i]


class CEDistiller(Distiller):
    """The student alone with cross-entropy, plus a random noise term so that the model's
    own randomness (torch RNG during training) is exercised by resume tests."""

    def __init__(self, student, noise: float = 0.0):
        super().__init__(student)
        self.noise = noise

    def forward_train(self, images, labels):
        logits = self.student(images)
        loss = F.cross_entropy(logits, labels)
        if self.noise:
            loss = loss + self.noise * (torch.randn_like(logits) * logits).mean()
        return {"ce": loss}


def tiny_device_draw_gendd():
    """A GenDD on a LinearToy pair (10 inputs, feature sizes 24 and 128, 7 classes; head width 32,
    depth 2, smooth 0.5, 3 diffusion draws per sample), seeded with 0, drawing its noise and mixup
    on the model's device (what the captured step needs)."""
    from gendd.distillers.gendd import GenDD
    torch.manual_seed(0)
    model = GenDD(LinearToy(10, 24, classes=7), LinearToy(10, 128, classes=7), diffusion_batch_mul=3,
                  width=32, depth=2, smooth=0.5)
    model.device_draws = True
    return model
