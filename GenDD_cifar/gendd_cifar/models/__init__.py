"""The CIFAR-100 model zoo of RepDistiller/CRD, chosen by name.

Every model exposes ``forward_features(x) -> (B, D)`` (the global-average-pooled output of
the last stage after its activation), ``fc`` (the final ``nn.Linear(D, num_classes)``) and
``forward(x) = fc(forward_features(x))``, for 3×32×32 inputs. State dicts match the public
teacher checkpoints key for key, except that the final layer is always ``fc``;
``FINAL_LAYER_NAMES[arch]`` is its name in the public files.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from torch import nn

from gendd.validation import BadInput

from .mobilenetv2 import MobileNetV2
from .resnet import NARROW, WIDE_X4, CifarResNet
from .resnet50 import ResNet50
from .shufflenetv1 import ShuffleV1
from .shufflenetv2 import ShuffleV2
from .vgg import VGG
from .wrn import WideResNet


class UnknownModel(BadInput):
    """--model_s/--arch_t names no model of the zoo (exit 2 under the scripts)."""


@dataclass(frozen=True)
class ModelSpec:
    build: Callable[..., nn.Module]  # build(num_classes=...) -> model
    feature_dim: int
    final_layer: str  # name of the final linear layer in the public checkpoints


def _zoo() -> dict[str, ModelSpec]:
    zoo = {f"resnet{d}": ModelSpec(partial(CifarResNet, d, NARROW), 64, "fc") for d in (8, 14, 20, 32, 44, 56, 110)}
    zoo.update({f"resnet{d}x4": ModelSpec(partial(CifarResNet, d, WIDE_X4), 256, "fc") for d in (8, 32)})
    zoo.update({f"wrn_{d}_{k}": ModelSpec(partial(WideResNet, d, k), 64 * k, "fc") for d in (16, 40) for k in (1, 2)})
    zoo.update({name: ModelSpec(partial(VGG, name), 512, "classifier")
                for name in ("vgg8", "vgg11", "vgg13", "vgg16", "vgg19")})
    zoo["ResNet50"] = ModelSpec(ResNet50, 2048, "linear")
    zoo["MobileNetV2"] = ModelSpec(MobileNetV2, 1280, "classifier.0")
    zoo["ShuffleV1"] = ModelSpec(ShuffleV1, 960, "linear")
    zoo["ShuffleV2"] = ModelSpec(ShuffleV2, 1024, "linear")
    return zoo


ZOO = _zoo()
FINAL_LAYER_NAMES: dict[str, str] = {name: spec.final_layer for name, spec in ZOO.items()}


def model_names() -> list[str]:
    return list(ZOO)


def spec(name: str) -> ModelSpec:
    """The zoo entry of ``name``, or a ValueError listing the valid names."""
    if name not in ZOO:
        close = difflib.get_close_matches(name, ZOO, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownModel(f"unknown CIFAR architecture {name!r}{hint}; valid names: {', '.join(ZOO)}")
    return ZOO[name]


def build_model(name: str, num_classes: int = 100) -> nn.Module:
    """A freshly initialised ``name`` with a ``num_classes``-way ``fc``."""
    entry = spec(name)
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    return entry.build(num_classes=num_classes)


def feature_dim(name: str) -> int:
    """D of ``forward_features`` for ``name`` (the input width of its ``fc``)."""
    return spec(name).feature_dim


__all__ = ["FINAL_LAYER_NAMES", "ModelSpec", "ZOO", "build_model", "feature_dim", "model_names", "spec"]
