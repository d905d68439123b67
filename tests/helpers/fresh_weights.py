"""Eval -> one optimiser step -> eval equals a fresh copy of the model, for every way the engine
updates weights: fused and for-each torch optimisers (fused ones change parameters in place
without bumping their version counter) and the captured program's update (``StepProgram.update``:
the fused step with a ``found_inf`` flag); shared by the CPU tests and the CUDA lane."""
from __future__ import annotations

import copy

import torch

from gendd.distillers.gendd import GenDD, SamplingSettings
from types import SimpleNamespace

from gendd.engine.capture import StepProgram
from gendd.engine.optim import build_optimizer
from gendd.head import Denoiser
from helpers.toys import ToyNet

# (optimiser, how it steps): torch's fused and for-each implementations, and the captured program's update
UPDATES = [("adamw", "fused"), ("adamw", "foreach"), ("sgd", "fused"), ("sgd", "foreach"),
           ("adamw", "captured_program"), ("sgd", "captured_program")]


def update_id(update) -> str:
    return "-".join(update)


def perturbed(module: torch.nn.Module, scale: float = 0.05) -> torch.nn.Module:
    """Every parameter moved off its initial value (the zero-initialised layers would hide a stale copy)."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn_like(p))
    return module


def tiny_head(device="cpu", width: int = 32) -> Denoiser:
    torch.manual_seed(0)
    return perturbed(Denoiser(cond_dim=8, num_tokens=2, width=width, depth=2, token_dim=4)).to(device)


def tiny_gendd(classes: int = 4, device="cpu", **options) -> GenDD:
    """GenDD on ToyNet (3x8x8 images, Ds = Dt = 8) with a small head, 2 draws of 5 steps."""
    torch.manual_seed(0)
    model = GenDD(ToyNet(num_classes=classes, width=8), ToyNet(num_classes=classes, width=8), token_dim=4, width=32,
                  depth=2, diffusion_batch_mul=2, num_timesteps=50, sampling=SamplingSettings(num_sampling=2, steps=5),
                  **options)
    perturbed(model.head)
    return model.to(device)


def one_step(module: torch.nn.Module, name: str, how: str, generator: torch.Generator) -> None:
    """One update of every parameter of ``module`` with random gradients."""
    params = list(module.parameters())
    grads = [torch.randn(p.shape, generator=generator).to(p.device) for p in params]
    optimizer = build_optimizer([{"params": params, "weight_decay": 1e-2}], name, lr=0.1, fused=how != "foreach")
    for p, g in zip(params, grads):
        p.grad = g
    if how == "captured_program":  # a good step: found_inf = 0
        found_inf = torch.zeros((), device=params[0].device)
        StepProgram.update(SimpleNamespace(optimizer=optimizer, found_inf=found_inf))
        return
    optimizer.step()


def denoiser_after_step(name: str, how: str, device="cpu") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(output before the step, after it, of a fresh copy after it) of ``forward_with_y`` without
    grad, the first inside a sampling loop's ``fixed_weights()``."""
    head = tiny_head(device)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(6, 4, generator=g).to(device), torch.randn(6, 32, generator=g).to(device)
    with torch.no_grad(), head.fixed_weights():
        before = head.forward_with_y(x, y)
    one_step(head, name, how, g)
    with torch.no_grad():
        after = head.forward_with_y(x, y)
        fresh = copy.deepcopy(head).forward_with_y(x, y)
    return before, after, fresh


def sampled_after_step(name: str, how: str, device="cpu", **options) -> tuple[torch.Tensor, torch.Tensor]:
    """(sampled logits of the model after eval -> step, those of a fresh eager copy), same noise."""
    model = tiny_gendd(device=device, **options).eval()
    images = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(2)).to(device)
    with torch.no_grad():
        model(images)
    one_step(model, name, how, torch.Generator().manual_seed(3))
    fresh = tiny_gendd(device=device).eval()
    fresh.load_state_dict(model.state_dict())
    outputs = []
    for m in (model, fresh):
        m.sampling_generator = torch.Generator(device=device).manual_seed(4)
        torch.manual_seed(4)  # the same noise where the model draws from the global generator
        with torch.no_grad():
            outputs.append(m(images)["sampled"])
    return outputs[0], outputs[1]
