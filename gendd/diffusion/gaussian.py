"""Gaussian diffusion in the improved-DDPM form with learned-range variance (docs/method.md §2).

Tables are computed in float64 (numpy). A lookup at per-row timesteps t returns float32
rows, exactly as the original implementation (which indexes the float64 table and casts): casting the
table once and indexing it gives the same numbers, so float32 copies are cached per device.

The model output has 2·C channels: ε̂ (first C) and v (last C). A respaced diffusion (see
``respace``) keeps its own tables over the kept steps and a ``timestep_map``; the network
is always called with the ORIGINAL timestep ``timestep_map[t]``.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .kl import discretized_gaussian_log_likelihood, normal_kl
from .schedule import respace_timesteps

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mean_over_channels(x: torch.Tensor) -> torch.Tensor:
    """Mean over every dimension but the first (one value per row)."""
    return x.mean(dim=tuple(range(1, x.ndim)))


class GaussianDiffusion:
    """The diffusion with betas β_0…β_{T−1} (float64) and the tables derived from them."""

    def __init__(self, betas, timestep_map=None):
        betas = np.asarray(betas, dtype=np.float64)
        if betas.ndim != 1 or len(betas) == 0 or not ((betas > 0) & (betas <= 1)).all():
            raise ValueError("betas must be a non-empty 1-D array with every entry in (0, 1]")
        self.num_timesteps = T = len(betas)
        self.timestep_map = np.arange(T) if timestep_map is None else np.asarray(timestep_map, dtype=np.int64)
        if self.timestep_map.shape != (T,):
            raise ValueError(f"timestep_map needs {T} entries, got shape {self.timestep_map.shape}")
        self.betas = betas
        alphas = 1.0 - betas
        ac = np.cumprod(alphas)
        ac_prev = np.append(1.0, ac[:-1])
        self.alphas_cumprod, self.alphas_cumprod_prev = ac, ac_prev
        self.sqrt_alphas_cumprod = np.sqrt(ac)
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - ac)
        self.sqrt_recip_alphas_cumprod = np.sqrt(1.0 / ac)
        self.sqrt_recipm1_alphas_cumprod = np.sqrt(1.0 / ac - 1.0)
        self.log_betas = np.log(betas)
        self.posterior_variance = betas * (1.0 - ac_prev) / (1.0 - ac)
        # β̃_0 = 0: its log is replaced by that of β̃_1 (by log β_0 when there is no step 1)
        first = self.posterior_variance[1] if T > 1 else betas[0]
        self.posterior_log_variance_clipped = np.log(np.append(first, self.posterior_variance[1:]))
        self.posterior_mean_coef1 = betas * np.sqrt(ac_prev) / (1.0 - ac)
        self.posterior_mean_coef2 = (1.0 - ac_prev) * np.sqrt(alphas) / (1.0 - ac)
        self._cache: dict[tuple[str, torch.device], torch.Tensor] = {}

    # ---- table lookups -------------------------------------------------------------
    def lookup(self, name: str, t: torch.Tensor, ndim: int) -> torch.Tensor:
        """Table ``name`` at the per-row timesteps t (B,), float32, shaped (B, 1, …) to ``ndim`` dims."""
        key = (name, t.device)
        if key not in self._cache:
            self._cache[key] = torch.from_numpy(getattr(self, name)).to(torch.float32).to(t.device)
        values = self._cache[key][t]
        return values.reshape(values.shape + (1,) * (ndim - values.ndim))

    def original_timesteps(self, t: torch.Tensor) -> torch.Tensor:
        """The timesteps of the original T-step process that the network sees for indices t."""
        key = ("timestep_map", t.device)
        if key not in self._cache:
            self._cache[key] = torch.from_numpy(self.timestep_map).to(t.device)
        return self._cache[key][t].to(t.dtype)

    # ---- forward process and posterior ----------------------------------------------
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε."""
        return (self.lookup("sqrt_alphas_cumprod", t, x0.ndim) * x0
                + self.lookup("sqrt_one_minus_alphas_cumprod", t, x0.ndim) * noise)

    def q_posterior_mean_variance(self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor):
        """(mean, β̃_t, clipped log β̃_t) of q(x_{t−1} | x_t, x0)."""
        mean = (self.lookup("posterior_mean_coef1", t, x_t.ndim) * x0
                + self.lookup("posterior_mean_coef2", t, x_t.ndim) * x_t)
        variance = self.lookup("posterior_variance", t, x_t.ndim)
        log_variance = self.lookup("posterior_log_variance_clipped", t, x_t.ndim)
        return mean, variance.expand_as(x_t), log_variance.expand_as(x_t)

    def predict_x0_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """x̂0 = √(1/ᾱ_t)·x_t − √(1/ᾱ_t − 1)·ε̂ (no clipping)."""
        return (self.lookup("sqrt_recip_alphas_cumprod", t, x_t.ndim) * x_t
                - self.lookup("sqrt_recipm1_alphas_cumprod", t, x_t.ndim) * eps)

    def p_mean_variance(self, model_output: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor) -> dict:
        """Mean and learned-range variance of p(x_{t−1} | x_t) from the 2·C output channels.

        frac = (v + 1)/2, log σ² = frac·log β_t + (1 − frac)·log β̃_t(clipped),
        mean = posterior mean(x̂0, x_t).
        """
        channels = x_t.shape[1]
        if model_output.shape[1] != 2 * channels:
            raise ValueError(f"model output needs 2*{channels} channels (eps and v), got {model_output.shape[1]}")
        eps, v = model_output[:, :channels], model_output[:, channels:]
        frac = (v + 1.0) / 2.0
        max_log = self.lookup("log_betas", t, x_t.ndim)
        min_log = self.lookup("posterior_log_variance_clipped", t, x_t.ndim)
        log_variance = frac * max_log + (1.0 - frac) * min_log
        pred_x0 = self.predict_x0_from_eps(x_t, t, eps)
        mean, _, _ = self.q_posterior_mean_variance(pred_x0, x_t, t)
        return {"mean": mean, "variance": torch.exp(log_variance), "log_variance": log_variance,
                "pred_x0": pred_x0, "eps": eps}

    # ---- training loss ---------------------------------------------------------------
    def vb_terms_bits(self, model_output: torch.Tensor, x0: torch.Tensor, x_t: torch.Tensor,
                      t: torch.Tensor) -> torch.Tensor:
        """Per-row variational bound term in bits: KL(q ‖ p) for t > 0, −log p(x0 | x1) at t = 0."""
        true_mean, _, true_log_variance = self.q_posterior_mean_variance(x0, x_t, t)
        out = self.p_mean_variance(model_output, x_t, t)
        kl = mean_over_channels(normal_kl(true_mean, true_log_variance, out["mean"], out["log_variance"]))
        nll = -mean_over_channels(discretized_gaussian_log_likelihood(
            x0, means=out["mean"], log_scales=0.5 * out["log_variance"]))
        return torch.where(t == 0, nll, kl) / math.log(2.0)

    def training_losses(self, model: Model | torch.Tensor, x0: torch.Tensor, t: torch.Tensor,
                        noise: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Per-row losses {loss = mse + vb, mse, vb} at timesteps t (indices of this diffusion).

        ``model(x_t, original_t)`` returns the 2·C output channels; a tensor may be passed
        instead when the caller already evaluated the network at q_sample(x0, t, noise).
        mse = mean_c (ε − ε̂)²; vb uses ε̂ detached, so it trains only v.
        """
        if noise is None:
            if not callable(model):
                raise ValueError("pass the noise used for x_t when giving a precomputed model output")
            noise = torch.randn_like(x0)
        x_t = self.q_sample(x0, t, noise)
        output = model(x_t, self.original_timesteps(t)) if callable(model) else model
        channels = x0.shape[1]
        eps = output[:, :channels]
        frozen = torch.cat([eps.detach(), output[:, channels:]], dim=1)
        vb = self.vb_terms_bits(frozen, x0, x_t, t)
        mse = mean_over_channels((noise - eps) ** 2)
        return {"loss": mse + vb, "mse": mse, "vb": vb}

    # ---- respacing -------------------------------------------------------------------
    def respace(self, num_steps: int) -> "GaussianDiffusion":
        """The diffusion over the ``num_steps`` kept timesteps k_i: β'_i = 1 − ᾱ_{k_i}/ᾱ_{k_{i−1}},
        β'_0 = 1 − ᾱ_{k_0}."""
        kept = respace_timesteps(self.num_timesteps, num_steps)
        kept_alpha_bar = self.alphas_cumprod[kept]
        previous = np.append(1.0, kept_alpha_bar[:-1])
        new_betas = np.array([1.0 - a / p for a, p in zip(kept_alpha_bar, previous)], dtype=np.float64)
        return GaussianDiffusion(new_betas, timestep_map=self.timestep_map[kept])
