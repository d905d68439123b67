"""Pieces shared by the CIFAR zoo: the classifier contract, global pooling, channel shuffle
and the RepDistiller weight initialisation."""
from __future__ import annotations

import torch
from torch import nn


class ClassifierNet(nn.Module):
    """A backbone with ``forward_features(x) -> (B, D)``, the pooled penultimate feature, and
    ``fc``, the final ``nn.Linear(D, num_classes)``; ``forward(x) = fc(forward_features(x))``."""

    fc: nn.Linear

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


def global_avg_pool(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C): the spatial mean, for contiguous and channels_last inputs alike."""
    return x.mean(dim=(2, 3))


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet channel shuffle: output channel i·g + j is input channel j·(C/g) + i.

    One strided copy into a tensor of the input's memory format, so channels_last stays
    channels_last (a view/permute/reshape would fall back to a contiguous copy)."""
    channels = x.shape[1]
    if channels % groups:
        raise ValueError(f"channel_shuffle: {channels} channels do not split into {groups} groups")
    out = torch.empty_like(x)
    out.unflatten(1, (channels // groups, groups)).copy_(x.unflatten(1, (groups, channels // groups)).transpose(1, 2))
    return out


def init_weights(model: nn.Module, linear_std: float | None = None) -> nn.Module:
    """RepDistiller initialisation: convs He-normal with fan_out (std √(2 / (k²·C_out))), conv
    biases 0, BatchNorm γ = 1, β = 0; linears N(0, linear_std²) with bias 0 when ``linear_std``
    is given, else PyTorch's default. Meta-device models (shapes only) are left as they are."""
    if any(p.is_meta for p in model.parameters()):
        return model
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear) and linear_std is not None:
            nn.init.normal_(module.weight, 0.0, linear_std)
            nn.init.zeros_(module.bias)
    return model
