"""CIFAR ResNets of RepDistiller/CRD (He et al. 2016, CIFAR variant).

A 3×3 stem, three stages of basic blocks at 32, 16 and 8 px (strides 1, 2, 2), a 1×1 conv
+ BN projection shortcut wherever the shape changes (option B), then global average pooling.
depth = 6n + 2 with n blocks per stage. Widths (stem; stages): (16; 16, 32, 64) for
resnet8…resnet110, (32; 64, 128, 256) for the ×4 variants.
"""
from __future__ import annotations

from torch import Tensor, nn

from .common import ClassifierNet, global_avg_pool, init_weights

NARROW = (16, 16, 32, 64)
WIDE_X4 = (32, 64, 128, 256)


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """y = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x))."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.conv1 = conv3x3(in_ch, out_ch, stride)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = conv3x3(out_ch, out_ch)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + shortcut)


def make_stage(in_ch: int, out_ch: int, blocks: int, stride: int) -> nn.Sequential:
    layers = [BasicBlock(in_ch, out_ch, stride)]
    layers += [BasicBlock(out_ch, out_ch, 1) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class CifarResNet(ClassifierNet):
    def __init__(self, depth: int, widths: tuple[int, int, int, int] = NARROW, num_classes: int = 100):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n + 2 with n >= 1 (8, 14, 20, ...), got {depth}")
        blocks = (depth - 2) // 6
        stem, w1, w2, w3 = widths
        self.conv1 = conv3x3(3, stem)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = make_stage(stem, w1, blocks, 1)
        self.layer2 = make_stage(w1, w2, blocks, 2)
        self.layer3 = make_stage(w2, w3, blocks, 2)
        self.fc = nn.Linear(w3, num_classes)
        init_weights(self)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return global_avg_pool(x)
