"""The CIFAR ShuffleNet v2 (1×) of RepDistiller/CRD (Ma et al. 2018).

A 1×1 stem to 24 channels (no downsampling), three stages each made of one down-sampling
block and 3, 7, 3 basic blocks with widths 116, 232, 464 (32 → 16 → 8 → 4 px), a 1×1 conv
to 1024 channels with BN-ReLU and global average pooling (feature 1024).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import ClassifierNet, channel_shuffle, global_avg_pool

STEM = 24


def conv_bn(in_ch: int, out_ch: int, kernel: int, stride: int = 1,
            depthwise: bool = False) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    conv = nn.Conv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2,
                     groups=in_ch if depthwise else 1, bias=False)
    return conv, nn.BatchNorm2d(out_ch)


class BasicUnit(nn.Module):
    """Split channels in halves (x1, x2); y = shuffle(concat(x1, ReLU(BN(1×1(BN(dw3×3(ReLU(BN(1×1(x2)))))))))."""

    def __init__(self, channels: int):
        super().__init__()
        half = channels // 2
        self.conv1, self.bn1 = conv_bn(half, half, 1)
        self.conv2, self.bn2 = conv_bn(half, half, 3, depthwise=True)
        self.conv3, self.bn3 = conv_bn(half, half, 1)

    def forward(self, x: Tensor) -> Tensor:
        half = x.shape[1] // 2
        x1, x2 = x[:, :half], x[:, half:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return channel_shuffle(torch.cat([x1, out], dim=1), 2)


class DownUnit(nn.Module):
    """Two stride-2 branches, each giving out/2 channels:
    left = ReLU(BN(1×1(BN(dw3×3/2(x))))), right = ReLU(BN(1×1(BN(dw3×3/2(ReLU(BN(1×1(x)))))))),
    y = shuffle(concat(left, right))."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        mid = out_ch // 2
        self.conv1, self.bn1 = conv_bn(in_ch, in_ch, 3, stride=2, depthwise=True)
        self.conv2, self.bn2 = conv_bn(in_ch, mid, 1)
        self.conv3, self.bn3 = conv_bn(in_ch, mid, 1)
        self.conv4, self.bn4 = conv_bn(mid, mid, 3, stride=2, depthwise=True)
        self.conv5, self.bn5 = conv_bn(mid, mid, 1)

    def forward(self, x: Tensor) -> Tensor:
        left = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        right = F.relu(self.bn3(self.conv3(x)))
        right = F.relu(self.bn5(self.conv5(self.bn4(self.conv4(right)))))
        return channel_shuffle(torch.cat([left, right], dim=1), 2)


class ShuffleV2(ClassifierNet):
    def __init__(self, num_classes: int = 100, widths: tuple[int, ...] = (116, 232, 464),
                 blocks: tuple[int, ...] = (3, 7, 3), last_channels: int = 1024):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(3, STEM, 1)
        in_ch = STEM
        for index, (width, count) in enumerate(zip(widths, blocks), start=1):
            layers = [DownUnit(in_ch, width)] + [BasicUnit(width) for _ in range(count)]
            self.add_module(f"layer{index}", nn.Sequential(*layers))
            in_ch = width
        self.conv2, self.bn2 = conv_bn(in_ch, last_channels, 1)
        self.fc = nn.Linear(last_channels, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return global_avg_pool(F.relu(self.bn2(self.conv2(x))))
