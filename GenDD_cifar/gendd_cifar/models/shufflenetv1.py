"""The CIFAR ShuffleNet v1 of RepDistiller/CRD (Zhang et al. 2018), 3 groups.

A 1×1 stem to 24 channels (no downsampling), three stages of 4, 8, 4 bottlenecks with
outputs 240, 480, 960 (the first block of each at stride 2 concatenates an average-pooled
shortcut, so it produces width − input width channels itself), 32 → 16 → 8 → 4 px, then
global average pooling (feature 960). The very first grouped 1×1 conv uses one group
because the 24-channel stem is too narrow to split.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import ClassifierNet, channel_shuffle, global_avg_pool

STEM = 24


class ShuffleBottleneck(nn.Module):
    """Grouped 1×1 (÷4) - BN - ReLU - shuffle - 3×3 depthwise - BN - grouped 1×1 - BN, then
    ReLU(out + x) at stride 1 or ReLU(concat(out, avgpool3×3/2(x))) at stride 2."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, groups: int, first_groups: int):
        super().__init__()
        mid = out_ch // 4
        self.stride = stride
        self.first_groups = first_groups
        self.conv1 = nn.Conv2d(in_ch, mid, 1, groups=first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out_ch, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        if self.first_groups > 1:
            out = channel_shuffle(out, self.first_groups)
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.stride == 2:
            return F.relu(torch.cat([out, F.avg_pool2d(x, 3, stride=2, padding=1)], dim=1))
        return F.relu(out + x)


class ShuffleV1(ClassifierNet):
    def __init__(self, num_classes: int = 100, groups: int = 3,
                 widths: tuple[int, ...] = (240, 480, 960), blocks: tuple[int, ...] = (4, 8, 4)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, STEM, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(STEM)
        in_ch = STEM
        for index, (width, count) in enumerate(zip(widths, blocks), start=1):
            layers = []
            for i in range(count):
                stride = 2 if i == 0 else 1
                own_out = width - in_ch if stride == 2 else width
                layers.append(ShuffleBottleneck(in_ch, own_out, stride, groups, 1 if in_ch == STEM else groups))
                in_ch = width
            self.add_module(f"layer{index}", nn.Sequential(*layers))
        self.fc = nn.Linear(in_ch, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return global_avg_pool(x)
