"""The model contract every distiller relies on, checked where a distiller is built and where it
reads features.

A model exposes ``forward_features(x)``, its pooled penultimate feature of shape (B, D), and
``fc``, its final ``nn.Linear(D, C)``, with ``forward(x) == fc(forward_features(x))``.
``gendd.adapters.wrap`` gives torchvision and timm classifiers this contract. A timm model has
both names but its own ``forward_features`` returns the unpooled feature map, so it is refused
by name at build time; any other model whose features are not (B, D) is refused, with the
shape, the first time its features are read.
"""
from __future__ import annotations

import torch
from torch import nn

WRAP_HINT = "wrap it with gendd.adapters.wrap(model), or give it a forward_features(x) that pools and flattens"


def check_contract(model: nn.Module, role: str) -> nn.Linear:
    """``model.fc`` after checking that ``model`` follows the contract (TypeError otherwise)."""
    name = type(model).__name__
    if has_timm_features(model):
        raise TypeError(f"the {role} {name} is a timm model: its forward_features(x) returns the unpooled feature "
                        f"map, not the pooled (B, D) feature the distillers read; {WRAP_HINT}")
    fc = getattr(model, "fc", None)
    if not callable(getattr(model, "forward_features", None)) or not isinstance(fc, nn.Linear):
        raise TypeError(f"the {role} {name} must expose forward_features(x) -> (B, D) and its final nn.Linear as "
                        f"'fc'; {WRAP_HINT}")
    return fc


def has_timm_features(model: nn.Module) -> bool:
    """True when ``model.forward_features`` is timm's own (the unpooled map), not an override."""
    method = getattr(type(model), "forward_features", None)
    return getattr(method, "__module__", "").startswith("timm.")


def check_features(features: torch.Tensor, fc: nn.Linear, role: str) -> torch.Tensor:
    """``features`` when they are (B, D) with D = ``fc.in_features``; a TypeError naming the shape otherwise."""
    if features.dim() != 2 or features.shape[1] != fc.in_features:
        raise TypeError(f"the {role}'s forward_features returned shape {tuple(features.shape)}, but the contract is "
                        f"(B, D) = ({features.shape[0]}, {fc.in_features}) for its fc nn.Linear({fc.in_features}, "
                        f"{fc.out_features}); {WRAP_HINT}")
    return features
