"""Forward process, posterior, learned-range variance and the vb / mse losses against closed forms
computed independently here (Python floats / numpy float64)."""
import math

import numpy as np
import pytest
import torch

from gendd.diffusion import GaussianDiffusion, approx_standard_normal_cdf, cosine_betas, normal_kl

T = 1000


def g(s):
    return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2


def alpha_bar(i):
    """ᾱ_i = Π_{j≤i}(1 − β_j) = g((i+1)/T)/g(0) (telescoping; no clipping below i = T−1)."""
    return 1.0 if i < 0 else g((i + 1) / T) / g(0)


def beta(i):
    return 1 - alpha_bar(i) / alpha_bar(i - 1)


def posterior_by_bayes(i):
    """q(x_{i−1} | x_i, x0) from q(x_{i−1} | x0) = N(√ᾱ_{i−1}x0, 1−ᾱ_{i−1}) and
    q(x_i | x_{i−1}) = N(√α_i x_{i−1}, β_i): returns (coef of x0, coef of x_i, variance)."""
    a_prev, b = alpha_bar(i - 1), beta(i)
    precision = 1 / (1 - a_prev) + (1 - b) / b
    var = 1 / precision
    return var * math.sqrt(a_prev) / (1 - a_prev), var * math.sqrt(1 - b) / b, var


@pytest.fixture(scope="module")
def diffusion():
    return GaussianDiffusion(cosine_betas(T))


def test_q_sample_moments(diffusion):
    x0 = torch.linspace(-1, 1, 8)
    for i in (0, 250, 700, 990):
        n = 20000
        t = torch.full((n,), i)
        x_t = diffusion.q_sample(x0.expand(n, 8), t, torch.randn(n, 8))
        a = alpha_bar(i)
        torch.testing.assert_close(x_t.mean(0), math.sqrt(a) * x0, atol=4 * math.sqrt((1 - a) / n) + 1e-6, rtol=0)
        torch.testing.assert_close(x_t.var(0), torch.full((8,), 1 - a), atol=0.04 * (1 - a) + 1e-7, rtol=0)


def test_lookup_is_float64_value_cast_per_row(diffusion):
    t = torch.tensor([0, 5, 999, 5])
    got = diffusion.lookup("posterior_mean_coef1", t, 3)
    assert got.shape == (4, 1, 1) and got.dtype == torch.float32
    expected = torch.from_numpy(diffusion.posterior_mean_coef1)[t].float()
    assert torch.equal(got.flatten(), expected)


@pytest.mark.parametrize("i", [1, 2, 50, 500, 998])
def test_posterior_matches_bayes(diffusion, i):
    c1, c2, var = posterior_by_bayes(i)
    x0, x_t = torch.randn(3, 5), torch.randn(3, 5)
    mean, variance, log_variance = diffusion.q_posterior_mean_variance(x0, x_t, torch.full((3,), i))
    torch.testing.assert_close(mean, c1 * x0 + c2 * x_t, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(variance, torch.full((3, 5), var), rtol=1e-5, atol=0)
    torch.testing.assert_close(log_variance, torch.full((3, 5), math.log(var)), rtol=1e-5, atol=0)


def test_posterior_log_variance_at_zero_is_clipped_to_step_one(diffusion):
    _, variance, log_variance = diffusion.q_posterior_mean_variance(torch.zeros(1, 2), torch.zeros(1, 2),
                                                                    torch.tensor([0]))
    assert variance.abs().max() == 0
    torch.testing.assert_close(log_variance, torch.full((1, 2), math.log(posterior_by_bayes(1)[2])), rtol=1e-5, atol=0)


def test_learned_range_variance_and_x0(diffusion):
    i = 300
    x0, eps = torch.randn(4, 6), torch.randn(4, 6)
    t = torch.full((4,), i)
    x_t = diffusion.q_sample(x0, t, eps)
    for v, expected in ((1.0, math.log(beta(i))), (-1.0, math.log(posterior_by_bayes(i)[2])),
                        (0.0, 0.5 * (math.log(beta(i)) + math.log(posterior_by_bayes(i)[2])))):
        out = diffusion.p_mean_variance(torch.cat([eps, torch.full_like(eps, v)], 1), x_t, t)
        torch.testing.assert_close(out["log_variance"], torch.full((4, 6), expected), rtol=1e-5, atol=0)
    torch.testing.assert_close(out["pred_x0"], x0, rtol=0, atol=1e-4)
    c1, c2, _ = posterior_by_bayes(i)
    torch.testing.assert_close(out["mean"], c1 * x0 + c2 * x_t, rtol=0, atol=1e-4)


def test_normal_kl_matches_torch_distributions():
    m1, m2, l1, l2 = torch.randn(4, 10).unbind(0)
    ours = normal_kl(m1, l1, m2, l2)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(m1, (0.5 * l1).exp()),
                                            torch.distributions.Normal(m2, (0.5 * l2).exp()))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_tanh_cdf_is_close_to_the_normal_cdf():
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    exact = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
    assert (approx_standard_normal_cdf(x) - exact).abs().max() < 1e-3


def _model_mean_logvar(i, x_t, eps_hat, v):
    """Model mean and log variance, by hand, in float64."""
    a = alpha_bar(i)
    x0_hat = (x_t - math.sqrt(1 - a) * eps_hat) / math.sqrt(a)
    c1, c2, var = posterior_by_bayes(i) if i > 0 else (1.0, 0.0, None)
    log_tilde = math.log(posterior_by_bayes(max(i, 1))[2])
    frac = (v + 1) / 2
    return c1 * x0_hat + c2 * x_t, frac * math.log(beta(i)) + (1 - frac) * log_tilde


def test_vb_is_the_gaussian_kl_in_bits(diffusion):
    i = 400
    rng = np.random.default_rng(0)
    x0, x_t, eps_hat = rng.normal(size=(3, 2, 5))
    v = rng.uniform(-1, 1, size=(2, 5))
    c1, c2, var_q = posterior_by_bayes(i)
    mean_q, logvar_q = c1 * x0 + c2 * x_t, math.log(var_q)
    mean_p, logvar_p = _model_mean_logvar(i, x_t, eps_hat, v)
    kl = 0.5 * (-1 + logvar_p - logvar_q + np.exp(logvar_q - logvar_p) + (mean_q - mean_p) ** 2 * np.exp(-logvar_p))
    expected = kl.mean(axis=1) / math.log(2)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    got = diffusion.vb_terms_bits(torch.cat([f(eps_hat), f(v)], 1), f(x0), f(x_t), torch.full((2,), i))
    np.testing.assert_allclose(got.numpy(), expected, rtol=2e-4, atol=1e-5)


def test_vb_at_t0_is_the_discretized_gaussian_nll_in_bits(diffusion):
    x0 = np.array([[-1.0, -0.5, 0.0, 0.004, 0.998, 1.0]])
    x_t = x0 + 0.01 * np.array([[1.0, -2.0, 0.5, 0.1, 3.0, -1.0]])
    eps_hat = np.array([[0.3, -0.1, 0.2, 0.0, 0.5, -0.4]])
    v = np.array([[0.2, -0.6, 1.0, -1.0, 0.0, 0.7]])
    mean, logvar = _model_mean_logvar(0, x_t, eps_hat, v)
    phi = lambda u: 0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u ** 3)))
    log_probs = []
    for x, m, lv in zip(x0[0], mean[0], logvar[0]):
        inv_std = math.exp(-0.5 * lv)
        plus, minus = phi(inv_std * (x - m + 1 / 255)), phi(inv_std * (x - m - 1 / 255))
        if x < -0.999:
            log_probs.append(math.log(max(plus, 1e-12)))
        elif x > 0.999:
            log_probs.append(math.log(max(1 - minus, 1e-12)))
        else:
            log_probs.append(math.log(max(plus - minus, 1e-12)))
    expected = -np.mean(log_probs) / math.log(2)
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    got = diffusion.vb_terms_bits(torch.cat([f(eps_hat), f(v)], 1), f(x0), f(x_t), torch.tensor([0]))
    assert got.item() == pytest.approx(expected, rel=2e-4)


def test_training_losses_mse_vb_and_gradient_routing(diffusion):
    x0, noise = torch.randn(6, 4), torch.randn(6, 4)
    t = torch.tensor([0, 1, 10, 500, 998, 999])
    output = torch.randn(6, 8, requires_grad=True)
    losses = diffusion.training_losses(output, x0, t, noise)
    torch.testing.assert_close(losses["mse"], ((noise - output[:, :4]) ** 2).mean(1))
    torch.testing.assert_close(losses["loss"], losses["mse"] + losses["vb"])
    x_t = diffusion.q_sample(x0, t, noise)
    torch.testing.assert_close(losses["vb"], diffusion.vb_terms_bits(output, x0, x_t, t))
    (grad_vb,) = torch.autograd.grad(losses["vb"].sum(), output, retain_graph=True)
    assert grad_vb[:, :4].abs().max() == 0 and grad_vb[:, 4:].abs().max() > 0  # vb trains v only
    (grad_mse,) = torch.autograd.grad(losses["mse"].sum(), output)
    assert grad_mse[:, 4:].abs().max() == 0 and grad_mse[:, :4].abs().max() > 0


def test_training_losses_call_the_model_with_original_timesteps(diffusion):
    spaced = diffusion.respace(64)
    seen = []

    def model(x_t, t):
        seen.append(t.clone())
        return torch.zeros(x_t.shape[0], 2 * x_t.shape[1])

    t = torch.tensor([0, 1, 62, 63])
    spaced.training_losses(model, torch.randn(4, 3), t)
    assert seen[0].tolist() == [0, 16, 983, 999]
    with pytest.raises(ValueError, match="noise"):
        spaced.training_losses(torch.zeros(4, 6), torch.randn(4, 3), t)
