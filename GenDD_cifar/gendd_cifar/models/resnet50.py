"""The CIFAR ResNet50 of RepDistiller/CRD: ImageNet bottleneck stages (3, 4, 6, 3 blocks,
widths 64…512, expansion 4) behind a 3×3 stride-1 stem with no max pool, so the stages run at
32, 16, 8 and 4 px; global average pooling gives the 2048-d feature.
"""
from __future__ import annotations

from torch import Tensor, nn

from .common import ClassifierNet, global_avg_pool, init_weights

EXPANSION = 4


class Bottleneck(nn.Module):
    """y = ReLU(BN(conv1×1(ReLU(BN(conv3×3(ReLU(BN(conv1×1(x))))))) + shortcut(x))."""

    def __init__(self, in_ch: int, planes: int, stride: int):
        super().__init__()
        out_ch = planes * EXPANSION
        self.conv1 = nn.Conv2d(in_ch, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.shortcut is None else self.shortcut(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + shortcut)


class ResNet50(ClassifierNet):
    def __init__(self, num_classes: int = 100, blocks: tuple[int, ...] = (3, 4, 6, 3)):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        in_ch = 64
        for index, (count, planes) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
            stride = 1 if index == 1 else 2
            layers = [Bottleneck(in_ch, planes, stride)]
            in_ch = planes * EXPANSION
            layers += [Bottleneck(in_ch, planes, 1) for _ in range(count - 1)]
            self.add_module(f"layer{index}", nn.Sequential(*layers))
        self.fc = nn.Linear(in_ch, num_classes)
        init_weights(self)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return global_avg_pool(x)
