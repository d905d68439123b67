"""The fast paths compute what the reference mode computes: the fused-adaLN denoiser, the
row-free GenDD loss (same random draws, same loss and gradients), the guided sampler that
embeds once and modulates once per distinct condition (same samples for the same generator),
gradient checkpointing (same gradients), and the run-time weight fusion after updates."""
from functools import partial

import pytest
import torch

from gendd.distillers.gendd import GenDD
from gendd.head import Denoiser
from helpers.toys import LinearToy

IN, DS, DT, C = 10, 24, 192, 7  # N = 3 tokens


Toy = partial(LinearToy, IN, classes=C)  # Toy(feature dim) with the student/teacher contract


def awake(module, seed=0, scale=0.1):
    """Random weights everywhere (the zero init would hide most of the network)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return module


def assert_float_equal(actual, expected):
    """Equal up to float32 rounding: every entry within 1e-5 of the tensor's largest magnitude."""
    assert actual.shape == expected.shape
    scale = expected.abs().max().clamp(min=1e-12)
    assert (actual - expected).abs().max() <= 1e-5 * scale, float((actual - expected).abs().max() / scale)


def head_inputs(rows=9, cond_dim=12, tokens=3):
    gen = torch.Generator().manual_seed(1)
    return (torch.randn(rows, 64, generator=gen), torch.randint(0, 1000, (rows,), generator=gen),
            torch.randn(rows, cond_dim, generator=gen), torch.randint(0, tokens, (rows,), generator=gen))


def test_fast_head_equals_reference_forward_and_gradients():
    net = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=3))
    x, t, z, k = head_inputs()
    z.requires_grad_(True)
    results = []
    for fast in (False, True):
        net.fast = fast
        net.zero_grad()
        z.grad = None
        out = net(x, t, z, k)
        (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
        results.append((out.detach(), z.grad.clone(), [p.grad.clone() for p in net.parameters()]))
    (ref_out, ref_dz, ref_grads), (out, dz, grads) = results
    assert_float_equal(out, ref_out)
    assert_float_equal(dz, ref_dz)
    for g, ref in zip(grads, ref_grads):
        assert_float_equal(g, ref)


def test_fused_weights_follow_optimiser_updates_and_loads():
    net = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=2))
    x, t, z, k = head_inputs()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)
    for _ in range(3):
        with torch.no_grad():
            fast = net(x, t, z, k)  # fills the no-grad cache
        net.fast = False
        with torch.no_grad():
            assert_float_equal(fast, net(x, t, z, k))
        net.fast = True
        opt.zero_grad()
        net(x, t, z, k).square().mean().backward()
        opt.step()
    other = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=2), seed=5)
    with torch.no_grad():
        before = net(x, t, z, k)
        net.load_state_dict(other.state_dict())
        after = net(x, t, z, k)
        other.fast = False
        assert_float_equal(after, other(x, t, z, k))
    assert (after - before).abs().max() > 1e-3


def test_state_dict_keys_are_the_same_in_both_modes():
    fast, ref = Denoiser(12, 3, width=32, fast=True), Denoiser(12, 3, width=32, fast=False)
    assert list(fast.state_dict()) == list(ref.state_dict())
    with torch.no_grad():
        fast(*head_inputs())
    assert list(fast.state_dict()) == list(ref.state_dict())


def test_broadcast_condition_equals_repeated_rows():
    net = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=2))
    x = torch.randn(4, 5, 64)
    y = torch.randn(5, 32)
    per_row = net.forward_with_y(x.reshape(20, 64), y.repeat(4, 1)).reshape(4, 5, -1)
    assert_float_equal(net.forward_with_y(x, y), per_row)


def test_time_table_equals_per_row_time_embedding():
    net = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=2))
    t = torch.randint(0, 50, (200,))
    assert_float_equal(net.embed_time_rows(t, 50), net.embed_time(t))
    torch.testing.assert_close(net.embed_time_rows(t, 1000), net.embed_time(t))


@pytest.mark.parametrize("fast", [False, True])
def test_gradient_checkpointing_gives_the_same_gradients(fast):
    net = awake(Denoiser(cond_dim=12, num_tokens=3, width=32, depth=3, fast=fast))
    x, t, z, k = head_inputs()
    grads = []
    for checkpointing in (False, True):
        net.checkpointing = checkpointing
        net.zero_grad()
        net(x, t, z, k).square().sum().backward()
        grads.append([p.grad.clone() for p in net.parameters()])
    for g, ref in zip(*grads):
        assert_float_equal(g, ref)


def make_pair(cond_drop_prob: float = 0.3, **kwargs):
    """A fast and a reference GenDD with the same weights. A drop of 1.0 (every row dropped, the
    limit of the row draw, which no flag value allows) is set after construction."""
    options = dict(smooth=0.7, diffusion_batch_mul=4, width=32, depth=2, mixup_beta=0.0,
                   cond_drop_prob=min(cond_drop_prob, 0.5))
    options.update(kwargs)
    torch.manual_seed(0)
    fast = GenDD(Toy(DS), Toy(DT), fast=True, **options)
    awake(fast.head)
    ref = GenDD(Toy(DS), Toy(DT), fast=False, **options)
    ref.load_state_dict(fast.state_dict())
    fast.cond_drop_prob = ref.cond_drop_prob = cond_drop_prob
    return fast, ref


@pytest.mark.parametrize("drop", [0.0, 0.3, 1.0])
def test_fast_loss_and_gradients_equal_the_reference_rows(drop):
    fast, ref = make_pair(cond_drop_prob=drop)
    results = []
    for model in (ref, fast):
        z = torch.randn(5, DS, generator=torch.Generator().manual_seed(3), requires_grad=True)
        target = torch.randn(5, DT, generator=torch.Generator().manual_seed(4))
        torch.manual_seed(7)  # the same dropout mask, timesteps and noise
        loss = model.diffusion_loss(z, target)
        loss.backward()
        results.append((loss.detach(), z.grad, [p.grad for p in model.head.parameters()]))
    (ref_loss, ref_dz, ref_grads), (loss, dz, grads) = results
    assert_float_equal(loss, ref_loss)
    assert_float_equal(dz, ref_dz)
    for g, r in zip(grads, ref_grads):
        assert_float_equal(g, r)
    if drop == 1.0:
        assert dz.abs().max() == 0  # every condition dropped: nothing reaches z


def test_the_row_gather_uses_the_layout_of_build_rows(monkeypatch):
    """With time(t) switched off, the network sees y = cond_embed(z or 0) + pos_embed(k) of the
    reference rows (build_rows, then drop_conditions with the same first random draw)."""
    fast, _ = make_pair(cond_drop_prob=0.5, diffusion_batch_mul=2)
    head, seen = fast.head, {}
    monkeypatch.setattr(head, "embed_time_rows", lambda t, T: torch.zeros(len(t), head.width))
    monkeypatch.setattr(fast, "head_network", lambda x, y: seen.update(y=y) or torch.zeros(len(x), 128))
    z, target = torch.randn(3, DS), torch.randn(3, DT)
    torch.manual_seed(2)
    fast.diffusion_loss(z, target)
    _, cond, index = fast.build_rows(z, target)
    torch.manual_seed(2)
    dropped = fast.drop_conditions(cond)
    assert 0 < (dropped.abs().sum(1) == 0).sum() < len(dropped)  # both kinds of rows occur
    assert_float_equal(seen["y"].detach(), (head.cond_embed(dropped) + head.pos_embed(index)).detach())


@pytest.mark.parametrize("sampler,draws,scale", [("ancestral", 1, 2.0), ("ancestral", 3, 2.0), ("ddim", 2, 2.0),
                                                 ("ancestral", 2, 1.0)])
def test_fast_sampler_draws_the_same_samples(sampler, draws, scale):
    fast, ref = make_pair()
    z = torch.randn(4, DS)
    features = []
    for model in (ref, fast):
        model.eval()
        model.sampling.sampler, model.sampling.num_sampling, model.sampling.steps = sampler, draws, 6
        model.sampling.cfg_scale = scale
        model.sampling.eta = 0.5
        features.append(model.sample_features(z, generator=torch.Generator().manual_seed(9)))
    assert_float_equal(features[1], features[0])
    assert features[0].shape == (4, DT)
