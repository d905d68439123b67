"""Cosine schedule and timestep respacing against docs/method.md §2, computed independently here."""
import math

import numpy as np
import pytest

from gendd.diffusion import GaussianDiffusion, cosine_betas, respace_timesteps


def test_cosine_betas_follow_the_closed_form():
    T = 1000
    g = [math.cos((i / T + 0.008) / 1.008 * math.pi / 2) ** 2 for i in range(T + 1)]
    expected = [min(1 - g[i + 1] / g[i], 0.999) for i in range(T)]
    betas = cosine_betas(T)
    assert betas.dtype == np.float64 and betas.shape == (T,)
    np.testing.assert_allclose(betas, expected, rtol=1e-12, atol=0)
    assert betas[-1] == 0.999  # g(1) = cos²(π/2) ≈ 0, so the last β is clipped
    assert (betas[:-1] < 0.999).all() and (np.diff(betas) > 0).all()


def test_alpha_bar_tracks_the_continuous_schedule():
    T = 1000
    alpha_bar = np.cumprod(1 - cosine_betas(T))
    g0 = math.cos(0.008 / 1.008 * math.pi / 2) ** 2
    for i in (0, 100, 500, 900):
        g = math.cos(((i + 1) / T + 0.008) / 1.008 * math.pi / 2) ** 2
        assert alpha_bar[i] == pytest.approx(g / g0, rel=1e-10)


def test_respacing_100_steps_matches_spec():
    kept = respace_timesteps(1000, 100)
    assert kept[:11] == [0, 10, 20, 30, 40, 50, 61, 71, 81, 91, 101]
    assert kept[-3:] == [979, 989, 999]
    assert len(kept) == 100 and len(set(kept)) == 100


def test_respacing_64_steps_matches_spec():
    kept = respace_timesteps(1000, 64)
    assert kept[:12] == [0, 16, 32, 48, 63, 79, 95, 111, 127, 143, 159, 174]
    assert kept[-3:] == [967, 983, 999]
    assert len(kept) == 64 and len(set(kept)) == 64


@pytest.mark.parametrize("K", [1, 2, 7, 64, 100, 333, 1000])
def test_respacing_rule(K):
    kept = respace_timesteps(1000, K)
    stride = 999 / (K - 1) if K > 1 else 1.0
    position, expected = 0.0, []
    for _ in range(K):
        expected.append(round(position))
        position += stride
    assert kept == expected
    assert kept[0] == 0 and (K == 1 or kept[-1] == 999)
    for i, k in enumerate(kept):  # the accumulated float stays within rounding of i·stride
        assert abs(k - i * stride) <= 0.5 + 1e-9


def test_respacing_rejects_bad_counts():
    with pytest.raises(ValueError, match="at most 1000"):
        respace_timesteps(1000, 1001)
    with pytest.raises(ValueError, match=">= 1"):
        respace_timesteps(1000, 0)


def test_respaced_diffusion_keeps_alpha_bar_at_kept_steps():
    base = GaussianDiffusion(cosine_betas(1000))
    spaced = base.respace(100)
    kept = respace_timesteps(1000, 100)
    alpha_bar = np.cumprod(1 - cosine_betas(1000))
    expected_betas = [1 - alpha_bar[kept[0]]] + [1 - alpha_bar[b] / alpha_bar[a] for a, b in zip(kept, kept[1:])]
    np.testing.assert_allclose(spaced.betas, expected_betas, rtol=1e-12)
    np.testing.assert_allclose(spaced.alphas_cumprod, alpha_bar[kept], rtol=1e-10)
    assert spaced.timestep_map.tolist() == kept
    assert spaced.respace(10).timestep_map.tolist() == [kept[i] for i in respace_timesteps(100, 10)]
