"""The ImageNet MobileNetV1 student used by DKD/ReviewKD/GenDD for ResNet50 -> MobileNetV1.

Layout (tests/data/reference_keys/imagenet/MobileNetV1.txt): ``model`` is a Sequential of a
stride-2 3x3 conv-bn-relu stem and 13 depthwise-separable blocks, each
``[dw 3x3 conv, bn, relu, pw 1x1 conv, bn, relu]``, then global average pooling and ``fc``.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

# (in channels, out channels, stride) of the 13 depthwise-separable blocks
SEPARABLE_BLOCKS = [
    (32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
    (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1), (512, 512, 1),
    (512, 1024, 2), (1024, 1024, 1),
]


def conv_bn_relu(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


def depthwise_separable(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(inplace=True),
        nn.Conv2d(c_in, c_out, 1, 1, 0, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
    )


class MobileNetV1(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.model = nn.Sequential(conv_bn_relu(3, 32, 2), *(depthwise_separable(*b) for b in SEPARABLE_BLOCKS))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(1024, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        """Pooled penultimate feature, (B, 1024)."""
        return torch.flatten(self.avgpool(self.model(x)), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x))
