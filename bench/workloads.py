"""The measured workloads: one whole training step of GenDD or KD on a zoo pair, and one
evaluation batch of GenDD's sampled path, in the reference mode or the fast mode.

* reference mode: fp32, ``GenDD(fast=False)`` (every row materialised, module-by-module
  denoiser), NCHW tensors, for-each (unfused) optimiser, no compile;
* fast mode: ``GenDD(fast=True)``, channels-last, fused optimiser (CUDA and CPU), bf16 autocast on CUDA
  (``amp``), ``torch.compile`` of head and backbone when ``compile``, the head's blocks recomputed
  in backward when ``grad_checkpoint`` (memory, not speed).

A step is what the engine does: student forward, teacher forward under inference mode, the
loss terms, backward, optimiser step (AdamW for GenDD, SGD for KD, as the launchers use).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import torch

from gendd.distillers.gendd import GenDD, SamplingSettings
from gendd.distillers.kd import KD
from gendd.engine.optim import build_optimizer


@dataclass(frozen=True)
class Pair:
    name: str
    teacher: str
    student: str
    zoo: str           # "cifar" or "imagenet"
    image_size: int
    num_classes: int
    diffusion_batch_mul: int


PAIRS = {p.name: p for p in (
    Pair("resnet32x4->resnet8x4", "resnet32x4", "resnet8x4", "cifar", 32, 100, 30),
    Pair("resnet110->resnet32", "resnet110", "resnet32", "cifar", 32, 100, 30),
    Pair("resnet34->resnet18", "resnet34", "resnet18", "imagenet", 224, 1000, 10),
)}


@dataclass(frozen=True)
class Mode:
    name: str
    fast: bool
    amp: bool = False
    compile: bool = False
    grad_checkpoint: bool = False

    def autocast(self, device: torch.device):
        if self.amp and device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()


REFERENCE = Mode("reference", fast=False)
FAST_FP32 = Mode("fast fp32", fast=True)
FAST = Mode("fast bf16", fast=True, amp=True)
FAST_COMPILE = Mode("fast + compile (bf16 on CUDA)", fast=True, amp=True, compile=True)
FAST_CHECKPOINT = Mode("fast + head checkpointing (bf16 on CUDA)", fast=True, amp=True, grad_checkpoint=True)


def build_zoo_model(zoo: str, name: str, num_classes: int):
    if zoo == "cifar":
        from gendd_cifar.models import build_model
    else:
        from gendd_imagenet.models import build_model
    return build_model(name, num_classes)


def _prepare(distiller, device: torch.device, mode: Mode):
    distiller = distiller.to(device)
    return distiller.to(memory_format=torch.channels_last) if mode.fast else distiller


def _images(pair: Pair, batch: int, device: torch.device, mode: Mode) -> torch.Tensor:
    images = torch.randn(batch, 3, pair.image_size, pair.image_size, device=device)
    return images.contiguous(memory_format=torch.channels_last) if mode.fast else images


def build_gendd(pair: Pair, mode: Mode, width: int = 1024, **kwargs) -> GenDD:
    student = build_zoo_model(pair.zoo, pair.student, pair.num_classes)
    teacher = build_zoo_model(pair.zoo, pair.teacher, pair.num_classes)
    return GenDD(student, teacher, smooth=0.9, diffusion_batch_mul=pair.diffusion_batch_mul, width=width,
                 fast=mode.fast, compile=mode.compile, **kwargs)


def training_step(pair: Pair, method: str, mode: Mode, device: torch.device, batch: int = 64,
                  width: int = 1024) -> Callable[[], None]:
    """One optimisation step of ``method`` ("gendd" or "kd") on random images and labels."""
    if method == "gendd":
        distiller = build_gendd(pair, mode, width, grad_checkpoint=mode.grad_checkpoint)
        optimizer_name, lr = "adamw", 1e-4
    else:
        student = build_zoo_model(pair.zoo, pair.student, pair.num_classes)
        distiller = KD(student, build_zoo_model(pair.zoo, pair.teacher, pair.num_classes))
        optimizer_name, lr = "sgd", 1e-3
    distiller = _prepare(distiller, device, mode).train()
    fused = None if mode.fast else False
    optimizer = build_optimizer(distiller.param_groups(5e-4), optimizer_name, lr, fused=fused)
    images = _images(pair, batch, device, mode)
    labels = torch.randint(0, pair.num_classes, (batch,), device=device)

    return lambda: optimisation_step(distiller, optimizer, mode, images, labels)


def optimisation_step(distiller, optimizer, mode: Mode, images, labels) -> torch.Tensor:
    """Forward (under ``mode``'s autocast), sum of the named losses in fp32, backward, update."""
    with mode.autocast(images.device):
        losses = distiller(images, labels)
    total = sum(v.float() for v in losses.values())
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return total.detach()


def evaluation_step(pair: Pair, mode: Mode, settings: SamplingSettings, device: torch.device,
                    batch: int, width: int = 1024) -> Callable[[], None]:
    """One evaluation batch (student forward, sampled path with ``settings``, probe)."""
    distiller = _prepare(build_gendd(pair, mode, width, sampling=settings), device, mode).eval()
    _wake(distiller)
    images = _images(pair, batch, device, mode)

    def step():
        with torch.no_grad(), mode.autocast(device):
            distiller(images)
    return step


def _wake(distiller: GenDD) -> None:
    """Small random head weights, as after some training (the zero init samples pure noise)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in distiller.head.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=gen).to(p.device))
