"""Reverse-diffusion samplers and classifier-free guidance (docs/method.md §2).

A sampler walks a (usually respaced) ``GaussianDiffusion`` from i = K−1 down to 0, calling
``model(x_i, original_timestep)`` for the 2·C output channels (ε̂, v). Noise comes from
``generator`` when given (reproducible sampling), else from torch's RNG; every tensor lives
on the device of the start noise.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from .gaussian import GaussianDiffusion

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _noise_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    if generator is None:
        return torch.randn_like(x)
    return torch.randn(x.shape, generator=generator, device=generator.device, dtype=x.dtype).to(x.device)


def start_noise(shape, device, generator: torch.Generator | None = None) -> torch.Tensor:
    """x_K ~ N(0, I) of ``shape`` on ``device`` (drawn from ``generator`` when given)."""
    if generator is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def _step_timesteps(diffusion: GaussianDiffusion, i: int, x: torch.Tensor):
    t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
    return t, diffusion.original_timesteps(t)


@torch.no_grad()
def ancestral_sample(diffusion: GaussianDiffusion, model: Model, noise: torch.Tensor,
                     temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """x_{i−1} = mean_θ(x_i) + [i ≠ 0]·exp(½ log σ²_i)·z·temperature, starting from x_K = noise."""
    x = noise
    for i in reversed(range(diffusion.num_timesteps)):
        t, model_t = _step_timesteps(diffusion, i, x)
        out = diffusion.p_mean_variance(model(x, model_t), x, t)
        x = out["mean"]
        if i > 0:
            x = x + torch.exp(0.5 * out["log_variance"]) * _noise_like(x, generator) * temperature
    return x


@torch.no_grad()
def ddim_sample(diffusion: GaussianDiffusion, model: Model, noise: torch.Tensor, eta: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """DDIM: x_{i−1} = √ᾱ_{i−1}·x̂0 + √(1 − ᾱ_{i−1} − σ_i²)·ε̂ + [i ≠ 0]·σ_i·z,
    σ_i = η·√((1 − ᾱ_{i−1})/(1 − ᾱ_i))·√(1 − ᾱ_i/ᾱ_{i−1}); η = 0 is deterministic."""
    x = noise
    for i in reversed(range(diffusion.num_timesteps)):
        t, model_t = _step_timesteps(diffusion, i, x)
        out = diffusion.p_mean_variance(model(x, model_t), x, t)
        alpha_bar = diffusion.lookup("alphas_cumprod", t, x.ndim)
        alpha_bar_prev = diffusion.lookup("alphas_cumprod_prev", t, x.ndim)
        sigma = eta * torch.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) * torch.sqrt(1 - alpha_bar / alpha_bar_prev)
        x = (out["pred_x0"] * torch.sqrt(alpha_bar_prev)
             + torch.sqrt((1 - alpha_bar_prev - sigma ** 2).clamp(min=0)) * out["eps"])
        if i > 0 and eta > 0:
            x = x + sigma * _noise_like(x, generator)
    return x


def classifier_free_guidance(net: Callable[..., torch.Tensor], cond: torch.Tensor, scale: float,
                             **row_inputs: torch.Tensor) -> Model:
    """The guided model (x, t) ↦ [ε̂_u + s(ε̂_c − ε̂_u), v_c] over 2·C channels.

    ``net(x, t, cond, **row_inputs)`` is evaluated ONCE on the doubled batch: the first
    half with ``cond``, the second with the all-zero condition; ``row_inputs`` (e.g. the
    token indices) are given to both halves. Scale 1 evaluates only the conditional half.
    """
    if scale == 1.0:
        return lambda x, t: net(x, t, cond, **row_inputs)
    both_cond = torch.cat([cond, torch.zeros_like(cond)])
    both_inputs = {name: torch.cat([value, value]) for name, value in row_inputs.items()}

    def guided(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = net(torch.cat([x, x]), torch.cat([t, t]), both_cond, **both_inputs)
        channels = x.shape[1]
        conditional, unconditional = out[: len(x)], out[len(x):]
        eps = unconditional[:, :channels] + scale * (conditional[:, :channels] - unconditional[:, :channels])
        return torch.cat([eps, conditional[:, channels:]], dim=1)

    return guided
