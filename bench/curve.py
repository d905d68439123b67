"""Loss curve of a short GenDD run (the fast mode's curve must match the fp32 one).

The run starts from weights drawn under one seed and sees a fixed list of random batches, with
torch's RNG re-seeded before training, so two modes consume the same random draws in the same
order (the fast path keeps the reference's order): in fp32 the curves agree to float rounding,
under bf16 autocast to bf16 accuracy.
"""
from __future__ import annotations

import torch

from gendd.engine.optim import build_optimizer
from workloads import Mode, Pair, build_gendd, optimisation_step


def loss_curve(pair: Pair, mode: Mode, device: torch.device, steps: int, batch: int, width: int = 1024,
               seed: int = 0, lr: float = 1e-3) -> list[float]:
    """Total loss (diffusion + probe CE) at each of ``steps`` AdamW steps."""
    torch.manual_seed(seed)
    distiller = build_gendd(pair, mode, width).to(device).train()
    if mode.fast:
        distiller = distiller.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(distiller.param_groups(5e-2), "adamw", lr, fused=None if mode.fast else False)
    gen = torch.Generator().manual_seed(seed + 1)
    data = [(torch.randn(batch, 3, pair.image_size, pair.image_size, generator=gen),
             torch.randint(0, pair.num_classes, (batch,), generator=gen)) for _ in range(min(steps, 4))]
    torch.manual_seed(seed + 2)
    losses = []
    for step in range(steps):
        images, labels = (t.to(device) for t in data[step % len(data)])
        if mode.fast:
            images = images.contiguous(memory_format=torch.channels_last)
        losses.append(optimisation_step(distiller, optimizer, mode, images, labels).item())
    return losses
