"""Samplers and classifier-free guidance with exact oracle noise predictors.

Oracles (ᾱ computed here from the cosine closed form, indexed by the ORIGINAL timestep):
* point mass at x*: ε̂(x_t, t) = (x_t − √ᾱ_t·x*)/√(1 − ᾱ_t); every sampler must return x*.
* Gaussian data N(μ, s²): ε̂ = E[ε | x_t] = √(1−ᾱ_t)(x_t − √ᾱ_t·μ)/(ᾱ_t s² + 1 − ᾱ_t).
"""
import math

import pytest
import torch

from gendd.diffusion import (GaussianDiffusion, ancestral_sample, classifier_free_guidance, cosine_betas,
                             ddim_sample, start_noise)
from helpers.lanes import slow_cases

T = 1000


def alpha_bar(t):
    g = lambda s: torch.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    return (g((t.double() + 1) / T) / g(torch.zeros((), dtype=torch.float64))).float()[:, None]


def point_mass_oracle(target, seen=None, v=0.0):
    def model(x, t):
        if seen is not None:
            seen.append(t[0].item())
        a = alpha_bar(t)
        eps = (x - a.sqrt() * target) / (1 - a).sqrt()
        return torch.cat([eps, torch.full_like(eps, v)], 1)
    return model


def gaussian_oracle(mu, s):
    def model(x, t):
        a = alpha_bar(t)
        eps = (1 - a).sqrt() * (x - a.sqrt() * mu) / (a * s * s + 1 - a)
        return torch.cat([eps, torch.zeros_like(eps)], 1)
    return model


@pytest.fixture(scope="module")
def spaced():
    return GaussianDiffusion(cosine_betas(T)).respace(100)


@pytest.mark.parametrize("sampler", ["ancestral", "ddim"])
@pytest.mark.parametrize("v", [0.0, 0.7])
def test_point_mass_is_recovered(spaced, sampler, v):
    target = torch.linspace(-1, 1, 16)
    seen = []
    model = point_mass_oracle(target, seen, v)
    noise = torch.randn(5, 16)
    x = ancestral_sample(spaced, model, noise) if sampler == "ancestral" else ddim_sample(spaced, model, noise, eta=0.5)
    torch.testing.assert_close(x, target.expand(5, 16), atol=1e-4, rtol=0)
    assert seen == list(reversed(spaced.timestep_map.tolist()))  # original timesteps, 999 … 0


@pytest.mark.parametrize("sampler", slow_cases(["ancestral", "ddim"], {"ancestral"}))
def test_gaussian_data_is_recovered(spaced, sampler):
    mu, s, n = 0.5, 0.3, 5000
    model = gaussian_oracle(mu, s)
    noise = torch.randn(n, 4)
    x = ancestral_sample(spaced, model, noise) if sampler == "ancestral" else ddim_sample(spaced, model, noise)
    # 100 steps discretise the reverse process: a few % on the std, sampling error ≈ 0.004
    assert (x.mean(0) - mu).abs().max() < 0.01
    assert ((x.std(0) / s) - 1).abs().max() < 0.05


def test_ddim_eta0_is_deterministic_given_start_noise(spaced):
    model = gaussian_oracle(0.2, 0.5)
    noise = torch.randn(8, 4)
    torch.manual_seed(1)
    first = ddim_sample(spaced, model, noise, eta=0.0)
    torch.manual_seed(2)
    assert torch.equal(first, ddim_sample(spaced, model, noise, eta=0.0))
    torch.manual_seed(2)
    assert not torch.equal(first, ddim_sample(spaced, model, noise, eta=1.0))


@pytest.mark.parametrize("sampler", [ancestral_sample, lambda d, m, n, generator: ddim_sample(d, m, n, 1.0, generator)])
def test_generator_makes_sampling_reproducible(spaced, sampler):
    model = gaussian_oracle(0.0, 0.5)

    def run(seed):
        gen = torch.Generator().manual_seed(seed)
        return sampler(spaced, model, start_noise((6, 4), "cpu", gen), generator=gen)

    torch.manual_seed(3)
    a = run(7)
    torch.manual_seed(4)  # the global RNG plays no part
    assert torch.equal(a, run(7))
    assert not torch.equal(a, run(8))


def _toy_net(calls):
    weight = torch.randn(3, 8)

    def net(x, t, cond, token_index):
        calls.append(x.shape[0])
        out = torch.cat([x, x], 1) * 0.5 + (cond @ weight) + token_index[:, None].float() + t[:, None] * 1e-3
        return out
    return net


def test_guidance_formula_in_one_batched_call():
    calls = []
    net = _toy_net(calls)
    cond, index = torch.randn(5, 3), torch.arange(5) % 2
    x, t = torch.randn(5, 4), torch.full((5,), 321)
    guided = classifier_free_guidance(net, cond, 2.0, token_index=index)(x, t)
    assert calls == [10]
    conditional = net(x, t, cond, index)
    unconditional = net(x, t, torch.zeros_like(cond), index)  # all-zero z, token index still given
    expected_eps = unconditional[:, :4] + 2.0 * (conditional[:, :4] - unconditional[:, :4])
    torch.testing.assert_close(guided, torch.cat([expected_eps, conditional[:, 4:]], 1))


def test_scale_one_is_the_conditional_sampler(spaced):
    calls = []
    net = _toy_net(calls)
    cond, index = torch.randn(4, 3), torch.arange(4)
    guided = classifier_free_guidance(net, cond, 1.0, token_index=index)
    conditional = lambda x, t: net(x, t, cond, index)
    noise = torch.randn(4, 4)
    a = ancestral_sample(spaced, guided, noise, generator=torch.Generator().manual_seed(0))
    assert set(calls) == {4}  # the unconditional half is skipped
    b = ancestral_sample(spaced, conditional, noise, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b)


def test_temperature_scales_the_injected_noise(spaced):
    model = gaussian_oracle(0.0, 0.5)
    noise = torch.randn(1000, 4)
    cold = ancestral_sample(spaced, model, noise, temperature=0.0, generator=torch.Generator().manual_seed(0))
    warm = ancestral_sample(spaced, model, noise, temperature=1.0, generator=torch.Generator().manual_seed(0))
    assert cold.std() < 0.8 * warm.std()
