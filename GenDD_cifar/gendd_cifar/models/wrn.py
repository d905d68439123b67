"""Wide ResNets WRN-d-k (Zagoruyko & Komodakis 2016) as in RepDistiller/CRD.

Pre-activation blocks: BN-ReLU precedes every conv; where the width changes a 1×1
``convShortcut`` projects the pre-activated input. A 16-channel 3×3 stem, three stages of
n = (d − 4) / 6 blocks with widths 16k, 32k, 64k at strides 1, 2, 2, a final BN-ReLU and
global average pooling (pooled feature 64k). No dropout (the public teachers use none).
"""
from __future__ import annotations

from torch import Tensor, nn

from .common import ClassifierNet, global_avg_pool, init_weights


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)


class WideBlock(nn.Module):
    """a = ReLU(BN(x)); y = conv(ReLU(BN(conv(a)))) + (x if the shape is kept else conv1×1(a))."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = conv3x3(in_ch, out_ch, stride)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = conv3x3(out_ch, out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.convShortcut = None  # name fixed by the public checkpoints
        if in_ch != out_ch or stride != 1:
            self.convShortcut = nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        pre = self.relu(self.bn1(x))
        shortcut = x if self.convShortcut is None else self.convShortcut(pre)
        out = self.relu(self.bn2(self.conv1(pre)))
        return self.conv2(out) + shortcut


class WideStage(nn.Module):
    """A stage of ``blocks`` WideBlocks, held as ``.layer`` (the public key layout)."""

    def __init__(self, in_ch: int, out_ch: int, blocks: int, stride: int):
        super().__init__()
        layers = [WideBlock(in_ch, out_ch, stride)] + [WideBlock(out_ch, out_ch, 1) for _ in range(blocks - 1)]
        self.layer = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x)


class WideResNet(ClassifierNet):
    def __init__(self, depth: int, widen: int, num_classes: int = 100):
        super().__init__()
        if depth < 10 or (depth - 4) % 6:
            raise ValueError(f"WideResNet depth must be 6n + 4 with n >= 1 (10, 16, 40, ...), got {depth}")
        blocks = (depth - 4) // 6
        widths = (16 * widen, 32 * widen, 64 * widen)
        self.conv1 = conv3x3(3, 16)
        self.block1 = WideStage(16, widths[0], blocks, 1)
        self.block2 = WideStage(widths[0], widths[1], blocks, 2)
        self.block3 = WideStage(widths[1], widths[2], blocks, 2)
        self.bn1 = nn.BatchNorm2d(widths[2])
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(widths[2], num_classes)
        init_weights(self)
        nn.init.zeros_(self.fc.bias)

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.block3(self.block2(self.block1(self.conv1(x))))
        return global_avg_pool(self.relu(self.bn1(x)))
