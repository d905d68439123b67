"""The denoiser of the diffusion head: an MLP with adaptive LayerNorm (SPEC §2).

Input x (rows, 64) noisy tokens, t (rows,) original timesteps, cond z (rows, Ds) the student
feature (all zeros = unconditional), token_index k (rows,). Output (rows, 128) = [ε̂, v].

    y = time(t) + cond_embed(z) + pos_embed(k)
    time(t) = Linear(256→W) → SiLU → Linear(W→W) on [cos(t·f_j), sin(t·f_j)], f_j = e^{−ln(10⁴)·j/128}
    block:  (shift, scale, gate) = Linear(W→3W)(SiLU(y)); x ← x + gate·MLP(LN(x)·(1+scale)+shift)
    final:  (shift, scale) = Linear(W→2W)(SiLU(y)); out = Linear(W→128)(LN₀(x)·(1+scale)+shift)

``conditioning(t, cond, token_index)`` returns y and ``forward_with_y(x, y)`` runs the rest, so
a sampler can reuse ``embed_condition`` over the steps. Module names follow the reference
checkpoints (prefix ``diffloss.net.``).
"""
from __future__ import annotations

import math

import torch
from torch import nn

FREQUENCY_DIM = 256
MAX_PERIOD = 10000.0


def timestep_frequencies(t: torch.Tensor, dim: int = FREQUENCY_DIM) -> torch.Tensor:
    """[cos(t·f_j), sin(t·f_j)], f_j = exp(−ln(10000)·j/(dim/2)), j = 0…dim/2−1; shape (rows, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(MAX_PERIOD) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class TimestepEmbedder(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(FREQUENCY_DIM, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(timestep_frequencies(t))


class ResBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.in_ln = nn.LayerNorm(width, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.adaLN_modulation(y).chunk(3, dim=-1)
        return x + gate * self.mlp(modulate(self.in_ln(x), shift, scale))


class FinalLayer(nn.Module):
    def __init__(self, width: int, out_channels: int):
        super().__init__()
        self.norm_final = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(width, out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(y).chunk(2, dim=-1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class Denoiser(nn.Module):
    """ε̂/v predictor for 64-d tokens conditioned on a Ds-d feature and a token index."""

    def __init__(self, cond_dim: int, num_tokens: int, width: int = 1024, depth: int = 3, token_dim: int = 64):
        super().__init__()
        self.token_dim, self.num_tokens, self.cond_dim = token_dim, num_tokens, cond_dim
        self.time_embed = TimestepEmbedder(width)
        self.cond_embed = nn.Linear(cond_dim, width)
        self.pos_embed = nn.Embedding(num_tokens, width)
        self.input_proj = nn.Linear(token_dim, width)
        self.res_blocks = nn.ModuleList(ResBlock(width) for _ in range(depth))
        self.final_layer = FinalLayer(width, 2 * token_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights / zero biases; time MLP N(0, 0.02); adaLN outputs and the
        final Linear zero; token-index embedding N(0, 1)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.time_embed.mlp[0].weight, std=0.02)
        nn.init.normal_(self.time_embed.mlp[2].weight, std=0.02)
        nn.init.normal_(self.pos_embed.weight, std=1.0)
        for layer in [block.adaLN_modulation[-1] for block in self.res_blocks] + [
                self.final_layer.adaLN_modulation[-1], self.final_layer.linear]:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def embed_time(self, t: torch.Tensor) -> torch.Tensor:
        return self.time_embed(t)

    def embed_condition(self, cond: torch.Tensor, token_index: torch.Tensor) -> torch.Tensor:
        """cond_embed(z) + pos_embed(k): the part of y that does not change over sampling steps."""
        return self.cond_embed(cond) + self.pos_embed(token_index)

    def conditioning(self, t: torch.Tensor, cond: torch.Tensor, token_index: torch.Tensor) -> torch.Tensor:
        """y = time(t) + cond_embed(z) + pos_embed(k), shape (rows, W)."""
        return self.embed_time(t) + self.embed_condition(cond, token_index)

    def forward_with_y(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.input_proj(x)
        for block in self.res_blocks:
            h = block(h, y)
        return self.final_layer(h, y)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, token_index: torch.Tensor) -> torch.Tensor:
        return self.forward_with_y(x, self.conditioning(t, cond, token_index))
