"""The denoiser of the diffusion head: an MLP with adaptive LayerNorm (docs/method.md §2).

Input x (rows, 64) noisy tokens, t (rows,) original timesteps, cond z (rows, Ds) the student
feature (all zeros = unconditional), token_index k (rows,). Output (rows, 128) = [ε̂, v].

    y = time(t) + cond_embed(z) + pos_embed(k)
    time(t) = Linear(256→W) → SiLU → Linear(W→W) on [cos(t·f_j), sin(t·f_j)], f_j = e^{−ln(10⁴)·j/128}
    block:  (shift, scale, gate) = Linear(W→3W)(SiLU(y)); x ← x + gate·MLP(LN(x)·(1+scale)+shift)
    final:  (shift, scale) = Linear(W→2W)(SiLU(y)); out = Linear(W→128)(LN₀(x)·(1+scale)+shift)

``conditioning(t, cond, token_index)`` returns y and ``forward_with_y(x, y)`` runs the rest;
``condition_table(z)`` holds the batch's distinct condition embeddings once, for the fast
training loss and for sampling alike. Module names follow the original implementation
checkpoints (prefix ``diffloss.net.``).

Two paths with the same math: ``fast=False`` (the reference mode) runs every module as
written; ``fast=True`` computes SiLU(y) once and every adaLN modulation of the network with
ONE GEMM against the run-time concatenation of the adaLN weights (the ``+1`` of ``1+scale``
folded into the concatenated bias, which saves one element-wise pass per modulation), and
folds the final layer's shift through its output Linear: W_o·(n·(1+scale) + shift) + b_o =
W_o·(n·(1+scale)) + (W_o·W_shift)·SiLU(y) + W_o·b_shift + b_o, so that slice of the GEMM is
2·token_dim wide instead of W (same math up to float32 rounding of the re-associated
product). The state_dict keeps the original layout either way. y may have fewer rows than
x when they broadcast (e.g. y (G, W) against x (S, G, 64)): the modulations are then computed
once per distinct y. ``checkpointing=True`` recomputes each block in backward (less memory).
"""
from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

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


def _fused_block(h: torch.Tensor, shift: torch.Tensor, scale1: torch.Tensor, gate: torch.Tensor,
                 block: ResBlock) -> torch.Tensor:
    """h + gate·MLP(LN(h)·(1+scale)+shift), with 1+scale given. Plain products and sums: addcmul's
    backward multiplies the incoming gradient by its scalar factor first (two extra full passes)."""
    return h + gate * block.mlp(block.in_ln(h) * scale1 + shift)


class Denoiser(nn.Module):
    """ε̂/v predictor for 64-d tokens conditioned on a Ds-d feature and a token index. ``width`` has no
    default here: the head's default width is the GenDD distiller's (``gendd.distillers.gendd``)."""

    def __init__(self, cond_dim: int, num_tokens: int, width: int, depth: int = 3, token_dim: int = 64,
                 fast: bool = True, checkpointing: bool = False):
        super().__init__()
        self.token_dim, self.num_tokens, self.cond_dim, self.width = token_dim, num_tokens, cond_dim, width
        self.fast, self.checkpointing = fast, checkpointing
        self._fixed_weights: tuple[torch.Tensor, torch.Tensor] | None = None
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

    def condition_table(self, z: torch.Tensor) -> torch.Tensor:
        """The B·N + N distinct condition embeddings of a batch z (B, Ds), for training and
        sampling alike: row b·N + k = cond_embed(z_b) + pos_embed(k); row B·N + k = cond_embed(0) +
        pos_embed(k) = cond_embed.bias + pos_embed(k), token k with its condition dropped."""
        pos = self.pos_embed.weight
        kept = (self.cond_embed(z)[:, None, :] + pos[None]).reshape(-1, pos.shape[1])
        return torch.cat([kept, self.cond_embed.bias + pos])

    def conditioning(self, t: torch.Tensor, cond: torch.Tensor, token_index: torch.Tensor) -> torch.Tensor:
        """y = time(t) + cond_embed(z) + pos_embed(k), shape (rows, W)."""
        return self.embed_time(t) + self.embed_condition(cond, token_index)

    def embed_time_rows(self, t: torch.Tensor, num_timesteps: int) -> torch.Tensor:
        """time(t) per row; with more rows than timesteps, the MLP runs once on the table of all
        ``num_timesteps`` timesteps and rows gather from it (same values, far fewer FLOPs)."""
        if t.numel() <= num_timesteps:
            return self.embed_time(t)
        table = self.embed_time(torch.arange(num_timesteps, device=t.device))
        return table.index_select(0, t.reshape(-1)).reshape(*t.shape, -1)

    def forward_with_y(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.fast:
            return self.forward_modulated(x, self.modulation(y))
        h = self.input_proj(x)
        for block in self.res_blocks:
            h = self._run(block, h, y)
        return self.final_layer(h, y)

    # ---- fast path -----------------------------------------------------------------
    def _modulation_layers(self) -> list[nn.Linear]:
        return [block.adaLN_modulation[1] for block in self.res_blocks] + [self.final_layer.adaLN_modulation[1]]

    def fused_modulation_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(W_f, b_f): the blocks' adaLN weights (3·depth·W rows), the final layer's scale rows
        (W) and its shift folded through the output Linear (W_o·W_shift, 2·token_dim rows); the
        biases with +1 on every ``scale`` slice and W_o·b_shift last. Built from the parameters
        on every call (autograd flows to the module's own parameters), except inside
        ``fixed_weights()`` without grad, where the copy made on entry is reused."""
        if self._fixed_weights is not None and not torch.is_grad_enabled():
            return self._fixed_weights
        return self._concatenate()

    @contextlib.contextmanager
    def fixed_weights(self):
        """A block in which the parameters do not change (one sampling loop): the fused adaLN
        weights are built once on entry and forgotten on exit, so that no copy outlives an
        optimiser step, a load or a device move (fused optimisers change parameters in place
        without bumping their version counter, so no key on the tensors can tell)."""
        with torch.no_grad():
            self._fixed_weights = self._concatenate() if self.fast else None
        try:
            yield
        finally:
            self._fixed_weights = None

    def _concatenate(self) -> tuple[torch.Tensor, torch.Tensor]:
        *blocks, final = self._modulation_layers()
        out, width = self.final_layer.linear.weight, self.width
        weight = torch.cat([l.weight for l in blocks] + [final.weight[width:], out @ final.weight[:width]])
        one = torch.zeros(width, 3 * len(blocks) + 1, device=weight.device, dtype=weight.dtype)
        one[:, 1:3 * len(blocks):3] = 1.0  # the scale slice of every block ...
        one[:, -1] = 1.0                      # ... and of the final layer
        bias = torch.cat([l.bias for l in blocks] + [final.bias[width:]]) + one.T.reshape(-1)
        return weight, torch.cat([bias, out @ final.bias[:width]])

    def modulation(self, y: torch.Tensor) -> torch.Tensor:
        """[shift, 1+scale, gate] of every block, 1+scale of the final layer, then the final
        shift through the output Linear: (..., (3·depth+1)·W + 2·token_dim)."""
        weight, bias = self.fused_modulation_weights()
        return F.linear(F.silu(y), weight, bias)

    def forward_modulated(self, x: torch.Tensor, mod: torch.Tensor) -> torch.Tensor:
        """The network after y, given ``modulation(y)`` (broadcastable against x's rows)."""
        sizes = [self.width] * (3 * len(self.res_blocks) + 1) + [2 * self.token_dim]
        pieces = mod.split(sizes, dim=-1)  # one split: its backward is one cat, not a zero fill per slice
        h = self.input_proj(x)
        for i, block in enumerate(self.res_blocks):
            shift, scale1, gate = pieces[3 * i:3 * i + 3]
            h = self._run(_fused_block, h, shift, scale1, gate, block)
        scale1, shift_out = pieces[-2:]
        final = self.final_layer
        return final.linear(final.norm_final(h) * scale1) + shift_out

    def _run(self, fn, *args):
        """``fn(*args)``, recomputed in backward with ``checkpointing``; the blocks draw no random
        numbers, so no generator state is saved for the recomputation (reading the CUDA
        generator's state is not allowed while a CUDA graph is captured)."""
        if self.checkpointing and torch.is_grad_enabled():
            return checkpoint(fn, *args, use_reentrant=False, preserve_rng_state=False)
        return fn(*args)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor, token_index: torch.Tensor) -> torch.Tensor:
        return self.forward_with_y(x, self.conditioning(t, cond, token_index))


class GuidedHead:
    """The classifier-free-guided model (x, t) ↦ [ε̂_u + s(ε̂_c − ε̂_u), v_c] for the samplers, over
    rows s·B·N + b·N + k (draw s, sample b, token k), computed without repeating work:

    * y_c = cond_embed(z_b) + pos_embed(k) (B·N rows) and y_u = cond_embed(0) + pos_embed(k)
      (N rows) are ``Denoiser.condition_table(z)``, embedded once per sampling loop;
    * time(t) once per step (every row of a sampler step shares t);
    * the adaLN modulations once per distinct y: the conditional half runs x as (S, B·N, ·)
      against y_c (B·N, W), the unconditional half as (S·B, N, ·) against y_u (N, W).

    ``network(x, y)`` is the denoiser after y (``Denoiser.forward_with_y`` or a compiled copy).
    Scale 1 evaluates only the conditional half.
    """

    def __init__(self, head: Denoiser, z: torch.Tensor, draws: int, scale: float, network=None):
        self.head, self.draws, self.scale = head, draws, scale
        self.network = network or head.forward_with_y
        self.batch, self.tokens = z.shape[0], head.num_tokens
        table = head.condition_table(z)
        self.y_cond, self.y_uncond = table[:-self.tokens], table[-self.tokens:]

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        time = self.head.embed_time(t[:1])
        channels, rows = x.shape[1], x.shape[0]
        conditional = self.network(x.reshape(self.draws, self.batch * self.tokens, channels),
                                   self.y_cond + time).reshape(rows, -1).float()
        if self.scale == 1.0:
            return conditional
        unconditional = self.network(x.reshape(self.draws * self.batch, self.tokens, channels),
                                     self.y_uncond + time).reshape(rows, -1).float()
        eps_c, eps_u = conditional[:, :channels], unconditional[:, :channels]
        return torch.cat([eps_u + self.scale * (eps_c - eps_u), conditional[:, channels:]], dim=1)
