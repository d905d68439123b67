"""Noise schedule and timestep respacing of the improved-DDPM diffusion (docs/method.md §2).

* ``cosine_betas(T)``: with g(s) = cos²(((s + 0.008)/1.008)·π/2),
  β_i = min(1 − g((i+1)/T)/g(i/T), 0.999), i = 0…T−1, in float64.
* ``respace_timesteps(T, K)``: the K kept timesteps k_i = round(i·(T−1)/(K−1)) with the
  stride (T−1)/(K−1) accumulated as a float and rounded by Python's ``round``.
"""
from __future__ import annotations

import math

import numpy as np

MAX_BETA = 0.999
DIFFUSION_STEPS = 1000   # T of every GenDD recipe; --sampling_steps K respaces it (K <= T)


def _cosine_alpha_bar(s: float) -> float:
    """g(s) = cos²(((s + 0.008)/1.008)·π/2), the continuous-time ᾱ of the cosine schedule."""
    return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2


def cosine_betas(num_timesteps: int = DIFFUSION_STEPS) -> np.ndarray:
    """β_0…β_{T−1} of the cosine schedule (float64), each clipped at 0.999."""
    if num_timesteps < 1:
        raise ValueError(f"num_timesteps must be >= 1, got {num_timesteps}")
    T = num_timesteps
    betas = [min(1.0 - _cosine_alpha_bar((i + 1) / T) / _cosine_alpha_bar(i / T), MAX_BETA) for i in range(T)]
    return np.array(betas, dtype=np.float64)


def respace_timesteps(num_timesteps: int, num_steps: int) -> list[int]:
    """The ``num_steps`` timesteps (of ``num_timesteps``) kept for sampling, increasing.

    k_i = round(i·stride) with stride = (T−1)/(K−1) accumulated as a float (stride 1 when
    K = 1, giving [0]); K = T keeps every step.
    """
    if num_steps < 1:
        raise ValueError(f"the number of sampling steps must be >= 1, got {num_steps}")
    if num_steps > num_timesteps:
        raise ValueError(
            f"cannot respace {num_timesteps} diffusion steps to {num_steps} sampling steps; "
            f"choose at most {num_timesteps} sampling steps")
    stride = (num_timesteps - 1) / (num_steps - 1) if num_steps > 1 else 1.0
    kept, position = [], 0.0
    for _ in range(num_steps):
        kept.append(round(position))
        position += stride
    return kept
