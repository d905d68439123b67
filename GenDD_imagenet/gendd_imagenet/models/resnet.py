"""torchvision ResNets with the project's feature contract.

``FeatureResNet`` is torchvision's ``ResNet`` itself (same modules, same state_dict keys,
so torchvision's files load unchanged) plus ``forward_features``: the global-average-pooled
output of ``layer4`` (after its ReLU), the input of ``fc``.
"""
from __future__ import annotations

import torch
from torch import Tensor
from torchvision.models import ResNet
from torchvision.models.resnet import BasicBlock, Bottleneck


class FeatureResNet(ResNet):
    def forward_features(self, x: Tensor) -> Tensor:
        """Pooled penultimate feature h = avgpool(layer4(...)), shape (B, D)."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x))


# name -> (block, layers, extra ResNet kwargs)
RESNET_CONFIGS = {
    "resnet18": (BasicBlock, [2, 2, 2, 2], {}),
    "resnet34": (BasicBlock, [3, 4, 6, 3], {}),
    "resnet50": (Bottleneck, [3, 4, 6, 3], {}),
    "resnext101_32x4d": (Bottleneck, [3, 4, 23, 3], {"groups": 32, "width_per_group": 4}),
}


def build_resnet(name: str, num_classes: int) -> FeatureResNet:
    block, layers, extra = RESNET_CONFIGS[name]
    return FeatureResNet(block, layers, num_classes=num_classes, **extra)
