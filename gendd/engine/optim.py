"""Optimisers built from a distiller's parameter groups."""
from __future__ import annotations

import torch


def build_optimizer(param_groups: list[dict], name: str, lr: float, momentum: float = 0.9,
                    betas: tuple[float, float] = (0.9, 0.999), fused: bool | None = None) -> torch.optim.Optimizer:
    """SGD (momentum, decoupled per-group weight decay as in torch) or AdamW.

    ``fused`` uses the single-kernel implementation (None: when every parameter is on CUDA or on
    the CPU, where torch has one too: on one CPU thread it is about 6x faster than the for-each
    AdamW of 20M parameters; same update up to float32 rounding)."""
    params = [p for g in param_groups for p in g["params"]]
    if not params:
        raise ValueError("no trainable parameters: every parameter of the distiller is frozen")
    if fused is None:
        fused = all(p.device.type in ("cuda", "cpu") for p in params)
    if name == "sgd":
        return torch.optim.SGD(param_groups, lr=lr, momentum=momentum, fused=fused or None)
    if name == "adamw":
        return torch.optim.AdamW(param_groups, lr=lr, betas=betas, fused=fused or None)
    raise ValueError(f"unknown optimizer {name!r}; use sgd or adamw")
