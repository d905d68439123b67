"""The adaLN denoiser: reference key layout, initialisation, size and the docs/method.md §2 forward formula."""
import math

import pytest
import torch
import torch.nn.functional as F
from helpers.reference_keys import REFERENCE_KEYS, read_key_layout

from gendd.head import Denoiser

STAGE2_FILES = sorted((REFERENCE_KEYS / "gendd_checkpoints").glob("*stage2.txt"))


def reference_head_layout(path):
    layout = {}
    for key, (shape, dtype) in read_key_layout(path).items():
        key = key.removeprefix("module.")
        if key.startswith("diffloss.net."):
            layout[key.removeprefix("diffloss.net.")] = (shape, dtype)
    return layout


@pytest.mark.parametrize("path", STAGE2_FILES, ids=lambda p: p.stem)
def test_state_dict_matches_reference_layout(path):
    layout = reference_head_layout(path)
    cond_dim = layout["cond_embed.weight"][0][1]
    num_tokens = layout["pos_embed.weight"][0][0]
    net = Denoiser(cond_dim=cond_dim, num_tokens=num_tokens, width=1024, depth=3)
    ours = {k: (tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in net.state_dict().items()}
    assert ours == layout


@pytest.mark.parametrize("cond_dim,teacher_dim", [(64, 64), (256, 256), (512, 512), (1024, 2048)])
def test_parameter_count_within_spec_range(cond_dim, teacher_dim):
    net = Denoiser(cond_dim=cond_dim, num_tokens=teacher_dim // 64, width=1024, depth=3)
    count = sum(p.numel() for p in net.parameters())
    assert 19.4e6 <= count <= 21.5e6
    # by hand: time MLP, cond, pos, input, 3 blocks (LN, MLP, adaLN), final (Linear, adaLN)
    W = 1024
    expected = ((256 * W + W) + (W * W + W) + (cond_dim * W + W) + teacher_dim // 64 * W + (64 * W + W)
                + 3 * (2 * W + 2 * (W * W + W) + (3 * W * W + 3 * W)) + (128 * W + 128) + (2 * W * W + 2 * W))
    assert count == expected


def test_initialisation():
    torch.manual_seed(0)
    net = Denoiser(cond_dim=256, num_tokens=4, width=512, depth=3)
    x, t = torch.randn(7, 64), torch.randint(0, 1000, (7,))
    out = net(x, t, torch.randn(7, 256), torch.arange(7) % 4)
    assert out.shape == (7, 128) and out.abs().max() == 0  # zero final layer
    for layer in net.time_embed.mlp[0], net.time_embed.mlp[2]:
        assert layer.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert layer.bias.abs().max() == 0
    assert net.pos_embed.weight.std().item() == pytest.approx(1.0, rel=0.05)
    for layer in (net.cond_embed, net.input_proj, net.res_blocks[0].mlp[0], net.res_blocks[2].mlp[2]):
        bound = math.sqrt(6 / (layer.in_features + layer.out_features))  # Xavier-uniform
        assert layer.weight.abs().max() <= bound
        assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
        assert layer.bias.abs().max() == 0
    for block in net.res_blocks:
        assert block.adaLN_modulation[1].weight.abs().max() == 0 and block.adaLN_modulation[1].bias.abs().max() == 0
    assert net.final_layer.adaLN_modulation[1].weight.abs().max() == 0
    assert not any(True for _ in net.final_layer.norm_final.parameters())  # LN without affine


def spec_forward(net, x, t, z, k):
    """docs/method.md §2 written out with plain tensor ops on the module's weights."""
    lin = lambda layer, h: h @ layer.weight.T + layer.bias
    j = torch.arange(128, dtype=torch.float32)
    f = torch.exp(-math.log(10000) * j / 128)
    sinusoid = torch.cat([torch.cos(t[:, None].float() * f), torch.sin(t[:, None].float() * f)], 1)
    time = lin(net.time_embed.mlp[2], F.silu(lin(net.time_embed.mlp[0], sinusoid)))
    y = time + lin(net.cond_embed, z) + net.pos_embed.weight[k]
    h = lin(net.input_proj, x)
    W = h.shape[1]
    for block in net.res_blocks:
        mod = lin(block.adaLN_modulation[1], F.silu(y))
        shift, scale, gate = mod[:, :W], mod[:, W:2 * W], mod[:, 2 * W:]
        normed = (h - h.mean(1, keepdim=True)) / torch.sqrt(h.var(1, unbiased=False, keepdim=True) + 1e-6)
        normed = normed * block.in_ln.weight + block.in_ln.bias
        u = normed * (1 + scale) + shift
        h = h + gate * lin(block.mlp[2], F.silu(lin(block.mlp[0], u)))
    mod = lin(net.final_layer.adaLN_modulation[1], F.silu(y))
    shift, scale = mod[:, :W], mod[:, W:]
    normed = (h - h.mean(1, keepdim=True)) / torch.sqrt(h.var(1, unbiased=False, keepdim=True) + 1e-6)
    return lin(net.final_layer.linear, normed * (1 + scale) + shift)


def test_forward_follows_the_spec_formula():
    torch.manual_seed(1)
    net = Denoiser(cond_dim=12, num_tokens=3, width=32, depth=2)
    with torch.no_grad():  # leave the zero init behind so every path matters
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x, t = torch.randn(5, 64), torch.tensor([0, 3, 500, 999, 42])
    z, k = torch.randn(5, 12), torch.tensor([0, 1, 2, 1, 0])
    expected = spec_forward(net, x, t, z, k)
    torch.testing.assert_close(net(x, t, z, k), expected, rtol=1e-4, atol=1e-5)
    y = net.conditioning(t, z, k)
    torch.testing.assert_close(net.forward_with_y(x, y), expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(net.embed_time(t) + net.embed_condition(z, k), y)


def test_condition_table_rows_are_the_kept_then_the_dropped_conditions():
    torch.manual_seed(0)
    net = Denoiser(5, 3, width=8, depth=1)
    z = torch.randn(2, 5)
    table = net.condition_table(z)
    assert table.shape == (2 * 3 + 3, 8)
    for b in range(2):
        for k in range(3):  # row b·N + k: the kept condition of sample b, token k
            torch.testing.assert_close(table[b * 3 + k], net.cond_embed(z[b]) + net.pos_embed.weight[k])
    for k in range(3):  # row B·N + k: the dropped condition is the all-zero z
        torch.testing.assert_close(table[6 + k], net.cond_embed(torch.zeros(5)) + net.pos_embed.weight[k])
