"""The CIFAR MobileNetV2 of RepDistiller/CRD (Sandler et al. 2018), width 0.5, expansion 6.

A 3×3 stride-2 stem (16 px), seven stages of inverted residuals with (expansion t, width c,
blocks n, stride s) = (1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2),
(6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1), widths scaled by 0.5 (2 px at the end),
a 1×1 conv to 1280 channels with BN-ReLU, and global average pooling (feature 1280).
"""
from __future__ import annotations

from torch import Tensor, nn

from .common import ClassifierNet, global_avg_pool, init_weights

STAGES = ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
LAST_CHANNELS = 1280


def conv_bn_relu(in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]


class InvertedResidual(nn.Module):
    """1×1 expand (×t) - BN - ReLU - 3×3 depthwise (stride s) - BN - ReLU - 1×1 project - BN,
    plus the input when stride 1 and widths match (``conv.0``…``conv.7`` as in the public keys)."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expansion: int):
        super().__init__()
        hidden = in_ch * expansion
        self.use_residual = stride == 1 and in_ch == out_ch
        self.conv = nn.Sequential(
            *conv_bn_relu(in_ch, hidden, 1),
            *conv_bn_relu(hidden, hidden, 3, stride=stride, groups=hidden),
            nn.Conv2d(hidden, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(ClassifierNet):
    def __init__(self, num_classes: int = 100, width_mult: float = 0.5):
        super().__init__()
        in_ch = int(32 * width_mult)
        self.conv1 = nn.Sequential(*conv_bn_relu(3, in_ch, 3, stride=2))
        stages = []
        for expansion, width, count, stride in STAGES:
            out_ch = int(width * width_mult)
            blocks = [InvertedResidual(in_ch if i == 0 else out_ch, out_ch, stride if i == 0 else 1, expansion)
                      for i in range(count)]
            stages.append(nn.Sequential(*blocks))
            in_ch = out_ch
        self.blocks = nn.Sequential(*stages)
        self.conv2 = nn.Sequential(*conv_bn_relu(in_ch, LAST_CHANNELS, 1))
        self.fc = nn.Linear(LAST_CHANNELS, num_classes)
        init_weights(self, linear_std=0.01)

    def forward_features(self, x: Tensor) -> Tensor:
        return global_avg_pool(self.conv2(self.blocks(self.conv1(x))))
