"""Split tokenization, distribution contraction and feature mixup (docs/method.md §3, steps 2–4).

* ``split_tokens``: (B, Dt) → (B·N, d), row b·N + k = token k of sample b, N = Dt/d.
* ``merge_tokens``: its inverse.
* ``contraction_target``: (1−λ)·f_t + λ·C, C = centres[y] (1-D labels) or y·centres (2-D
  soft labels); f_t unchanged when there are no labels.
* ``feature_mixup``: one m ~ Beta(β, β) and one permutation p per batch; z and the target
  are mixed with the same (m, p); β = 0 disables it. ``on_device=True`` draws them with device
  operations only (m = G₁/(G₁+G₂), G_i ~ Gamma(β), p = argsort of uniforms: the same
  distribution, another random stream, no host read, so a CUDA graph can replay it).
"""
from __future__ import annotations

import numpy as np
import torch


def num_tokens(feature_dim: int, token_dim: int = 64) -> int:
    """N = Dt / d, with an error when d does not divide Dt."""
    if token_dim < 1 or feature_dim % token_dim != 0:
        raise ValueError(
            f"the teacher feature dimension {feature_dim} is not divisible by the token dimension {token_dim}; "
            f"choose a token dimension that divides {feature_dim} (the original implementation uses 64) or a "
            f"teacher whose feature dimension is a multiple of {token_dim}")
    return feature_dim // token_dim


def split_tokens(features: torch.Tensor, token_dim: int = 64) -> torch.Tensor:
    """(B, Dt) → (B·N, token_dim); row b·N + k holds features[b, k·d:(k+1)·d]."""
    if features.ndim != 2:
        raise ValueError(f"expected features of shape (B, Dt), got {tuple(features.shape)}")
    num_tokens(features.shape[1], token_dim)
    return features.reshape(-1, token_dim)


def merge_tokens(tokens: torch.Tensor, num_tokens_per_sample: int) -> torch.Tensor:
    """(B·N, d) → (B, N·d), the inverse of ``split_tokens``."""
    rows, token_dim = tokens.shape
    if rows % num_tokens_per_sample != 0:
        raise ValueError(f"{rows} token rows cannot be grouped into samples of {num_tokens_per_sample} tokens")
    return tokens.reshape(rows // num_tokens_per_sample, num_tokens_per_sample * token_dim)


def contraction_target(teacher_features: torch.Tensor, labels: torch.Tensor | None, centres: torch.Tensor,
                       smooth: float) -> torch.Tensor:
    """(1−λ)·f_t + λ·C with C = centres[labels] or labels @ centres; f_t when labels is None."""
    if labels is None:
        return teacher_features
    if labels.ndim == 1:
        class_centres = centres[labels]
    elif labels.ndim == 2:
        class_centres = labels.to(centres.dtype) @ centres
    else:
        raise ValueError(f"labels must be class indices (B,) or soft targets (B, C), got shape {tuple(labels.shape)}")
    return (1.0 - smooth) * teacher_features + smooth * class_centres


def _beta_draw(beta: float, generator: torch.Generator | None) -> float:
    """m ~ Beta(β, β), seeded from torch's RNG (or ``generator``) so torch seeds reproduce it."""
    seed = torch.randint(0, 2 ** 62, (1,), generator=generator,
                         device=generator.device if generator is not None else "cpu").item()
    return float(np.random.default_rng(seed).beta(beta, beta))


def draw_mixup(batch: int, beta: float, device, generator: torch.Generator | None = None):
    """(m, p): m ~ Beta(β, β) and a random permutation p of the batch on ``device``."""
    if beta <= 0:
        raise ValueError(f"mixup needs beta > 0, got {beta}")
    m = _beta_draw(beta, generator)
    if generator is None:
        return m, torch.randperm(batch, device=device)
    return m, torch.randperm(batch, generator=generator, device=generator.device).to(device)


def draw_mixup_on_device(batch: int, beta: float, device):
    """(m, p) as device tensors: m ~ Beta(β, β) as G₁/(G₁+G₂), G_i ~ Gamma(β, 1); p a uniform permutation."""
    if beta <= 0:
        raise ValueError(f"mixup needs beta > 0, got {beta}")
    gammas = torch._standard_gamma(torch.full((2,), float(beta), device=device))
    return gammas[0] / gammas.sum(), torch.rand(batch, device=device).argsort()


def mix(x: torch.Tensor, m, perm: torch.Tensor) -> torch.Tensor:
    """m·x + (1−m)·x[p]."""
    return m * x + (1 - m) * x[perm]


def feature_mixup(cond: torch.Tensor, target: torch.Tensor, beta: float, generator: torch.Generator | None = None,
                  on_device: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """z ← m·z + (1−m)·z[p], target ← m·target + (1−m)·target[p] with one (m, p) per batch; β = 0: unchanged."""
    if beta < 0:
        raise ValueError(f"mixup beta must be >= 0 (0 disables mixup), got {beta}")
    if beta == 0:
        return cond, target
    if cond.shape[0] != target.shape[0]:
        raise ValueError(f"z and target need the same batch size, got {cond.shape[0]} and {target.shape[0]}")
    if on_device:
        m, perm = draw_mixup_on_device(cond.shape[0], beta, cond.device)
    else:
        m, perm = draw_mixup(cond.shape[0], beta, cond.device, generator)
    return mix(cond, m, perm), mix(target, m, perm)
