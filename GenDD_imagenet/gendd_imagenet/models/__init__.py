"""The ImageNet model zoo (students and teachers).

Every model exposes ``forward_features(x)`` -> pooled penultimate feature (B, D), ``fc`` its
final ``nn.Linear``, and ``forward(x) == fc(forward_features(x))``. State_dict keys are
torchvision's (ResNets), timm's (BEiT) or the DKD/ReviewKD layout (MobileNetV1), so public
files load unchanged.
"""
from __future__ import annotations

import torchvision.models as tvm
from torch import nn

from gendd.state_dicts import load_state_dict_strict
from gendd.validation import BadInput

from .beit import BEIT_TAGS, BeitFeatures, build_beit
from .mobilenetv1 import MobileNetV1
from .resnet import RESNET_CONFIGS, FeatureResNet, build_resnet


class UnknownModel(BadInput):
    """--model_s/--arch_t names no model of the zoo (exit 2 under the scripts)."""


FEATURE_DIMS = {
    "resnet18": 512, "resnet34": 512, "resnet50": 2048, "resnext101_32x4d": 2048,
    "MobileNetV1": 1024, "beitv2_large_patch16_224": 1024, "beitv2_base_patch16_224": 768,
}

# architectures with torchvision IMAGENET1K_V1 weights
TORCHVISION_WEIGHTS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights", "resnet50": "ResNet50_Weights"}


def model_names() -> list[str]:
    return list(FEATURE_DIMS)


def feature_dim(name: str) -> int:
    """D of ``forward_features`` for the standard configuration of ``name``."""
    _check_name(name)
    return FEATURE_DIMS[name]


def build_model(name: str, num_classes: int = 1000, pretrained: bool = False, **overrides) -> nn.Module:
    """A zoo model; ``pretrained`` loads torchvision IMAGENET1K_V1 (ResNets) or timm (BEiT) weights.

    ``overrides`` are timm keyword arguments and only apply to the BEiT teachers.
    """
    _check_name(name)
    if name in BEIT_TAGS:
        return build_beit(name, num_classes, pretrained, **overrides)
    if overrides:
        raise TypeError(f"{name} takes no extra options, got {sorted(overrides)}")
    if pretrained and name not in TORCHVISION_WEIGHTS:
        raise ValueError(f"no public pretrained weights for {name}; train it or pass a local checkpoint file")
    model = MobileNetV1(num_classes) if name == "MobileNetV1" else build_resnet(name, num_classes)
    if pretrained:
        load_torchvision_weights(model, name, num_classes)
    return model


def load_torchvision_weights(model: nn.Module, name: str, num_classes: int) -> None:
    """Load torchvision's IMAGENET1K_V1 weights for ``name`` strictly into ``model``."""
    if num_classes != 1000:
        raise ValueError(f"torchvision's {name} weights have 1000 classes, asked for num_classes={num_classes}")
    weights = getattr(tvm, TORCHVISION_WEIGHTS[name]).IMAGENET1K_V1
    try:
        sd = weights.get_state_dict(progress=False, check_hash=True)
    except Exception as err:
        raise RuntimeError(
            f"could not download torchvision's {name} IMAGENET1K_V1 weights from {weights.url} "
            f"({type(err).__name__}: {err}); this machine may be offline: fetch the file elsewhere "
            f"and pass its local path as the teacher (or put it in the torch hub cache)") from err
    load_state_dict_strict(model, sd, what=f"torchvision {name} IMAGENET1K_V1 weights")


def _check_name(name: str) -> None:
    if name not in FEATURE_DIMS:
        raise UnknownModel(f"unknown ImageNet model {name!r}; choose one of {model_names()}")


__all__ = ["build_model", "feature_dim", "model_names", "load_torchvision_weights", "FeatureResNet", "MobileNetV1",
           "BeitFeatures", "build_beit", "RESNET_CONFIGS", "BEIT_TAGS", "FEATURE_DIMS", "TORCHVISION_WEIGHTS"]
