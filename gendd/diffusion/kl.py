"""Gaussian KL divergence and the discretized Gaussian likelihood of the t = 0 term (docs/method.md §2)."""
from __future__ import annotations

import math

import torch

BIN_HALF_WIDTH = 1.0 / 255.0
EDGE = 0.999
LOG_FLOOR = 1e-12


def normal_kl(mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor) -> torch.Tensor:
    """KL(N(μ1, e^{l1}) ‖ N(μ2, e^{l2})) = ½(−1 + l2 − l1 + e^{l1−l2} + (μ1−μ2)²·e^{−l2}), elementwise."""
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2)
                  + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def approx_standard_normal_cdf(x: torch.Tensor) -> torch.Tensor:
    """Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    return 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


def discretized_gaussian_log_likelihood(x: torch.Tensor, means: torch.Tensor, log_scales: torch.Tensor) -> torch.Tensor:
    """log P(x) per element for N(means, e^{2·log_scales}) integrated over bins of half-width 1/255.

    With u = (x − μ)e^{−s}: Φ⁺ = Φ(u + e^{−s}/255), Φ⁻ = Φ(u − e^{−s}/255); the result is
    log Φ⁺ where x < −0.999, log(1 − Φ⁻) where x > 0.999 and log(Φ⁺ − Φ⁻) elsewhere, every
    argument of log clamped at 1e-12.
    """
    if not x.shape == means.shape == log_scales.shape:
        raise ValueError(f"x, means and log_scales must share a shape, got {tuple(x.shape)}, "
                         f"{tuple(means.shape)}, {tuple(log_scales.shape)}")
    centred = x - means
    inv_std = torch.exp(-log_scales)
    cdf_plus = approx_standard_normal_cdf(inv_std * (centred + BIN_HALF_WIDTH))
    cdf_minus = approx_standard_normal_cdf(inv_std * (centred - BIN_HALF_WIDTH))
    log_cdf_plus = torch.log(cdf_plus.clamp(min=LOG_FLOOR))
    log_one_minus_cdf_minus = torch.log((1.0 - cdf_minus).clamp(min=LOG_FLOOR))
    log_delta = torch.log((cdf_plus - cdf_minus).clamp(min=LOG_FLOOR))
    return torch.where(x < -EDGE, log_cdf_plus, torch.where(x > EDGE, log_one_minus_cdf_minus, log_delta))
