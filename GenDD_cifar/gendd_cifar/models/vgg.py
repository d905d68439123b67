"""VGG with batch norm for CIFAR as in RepDistiller/CRD (Simonyan & Zisserman 2015).

Five stages ``block0``…``block4`` of (3×3 conv with bias, BN, ReLU) layers. 2×2 max pools
follow stages 0, 1 and 2 (32 → 16 → 8 → 4 px); stages 3 and 4 run at 4 px; the last ReLU
output is globally averaged (pooled feature 512) and fed to the final linear layer.
"""
from __future__ import annotations

from torch import Tensor, nn

from .common import ClassifierNet, global_avg_pool, init_weights

STAGE_WIDTHS = {
    "vgg8": ((64,), (128,), (256,), (512,), (512,)),
    "vgg11": ((64,), (128,), (256, 256), (512, 512), (512, 512)),
    "vgg13": ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
    "vgg16": ((64, 64), (128, 128), (256,) * 3, (512,) * 3, (512,) * 3),
    "vgg19": ((64, 64), (128, 128), (256,) * 4, (512,) * 4, (512,) * 4),
}


def make_stage(in_ch: int, widths: tuple[int, ...]) -> nn.Sequential:
    """conv-BN-ReLU per width; module indices 0, 1, 2, 3, ... match the public keys."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += [nn.Conv2d(in_ch, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        in_ch = width
    return nn.Sequential(*layers)


class VGG(ClassifierNet):
    def __init__(self, name: str, num_classes: int = 100):
        super().__init__()
        if name not in STAGE_WIDTHS:
            raise ValueError(f"unknown VGG {name!r}; valid: {sorted(STAGE_WIDTHS)}")
        stages = STAGE_WIDTHS[name]
        in_chs = (3,) + tuple(widths[-1] for widths in stages[:-1])
        self.block0, self.block1, self.block2, self.block3, self.block4 = (
            make_stage(in_ch, widths) for in_ch, widths in zip(in_chs, stages))
        self.pool = nn.MaxPool2d(2, 2)
        self.fc = nn.Linear(stages[-1][-1], num_classes)
        init_weights(self, linear_std=0.01)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.pool(self.block0(x))
        x = self.pool(self.block1(x))
        x = self.pool(self.block2(x))
        x = self.block4(self.block3(x))
        return global_avg_pool(x)
