"""Improved-DDPM Gaussian diffusion: cosine schedule, respacing, losses and samplers (docs/method.md §2)."""
from .gaussian import GaussianDiffusion
from .kl import approx_standard_normal_cdf, discretized_gaussian_log_likelihood, normal_kl
from .samplers import ancestral_sample, classifier_free_guidance, ddim_sample, start_noise
from .schedule import DIFFUSION_STEPS, cosine_betas, respace_timesteps


def cosine_diffusion(num_timesteps: int = DIFFUSION_STEPS) -> GaussianDiffusion:
    """The training diffusion of the original implementation: the cosine schedule re-derived over all T kept
    steps (β_i = 1 − ᾱ_i/ᾱ_{i−1}, as the original implementation's spaced diffusion computes it)."""
    return GaussianDiffusion(cosine_betas(num_timesteps)).respace(num_timesteps)


__all__ = ["GaussianDiffusion", "approx_standard_normal_cdf", "discretized_gaussian_log_likelihood",
           "normal_kl", "ancestral_sample", "classifier_free_guidance", "ddim_sample", "start_noise",
           "DIFFUSION_STEPS", "cosine_betas", "respace_timesteps", "cosine_diffusion"]
