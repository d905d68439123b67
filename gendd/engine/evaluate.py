"""Exact distributed evaluation: every sample counted once, counts summed across ranks.

The model's eval forward returns logits, or a dict of named logits (one accuracy each:
``<name>_top1`` / ``<name>_top5``; a plain tensor gives ``top1`` / ``top5``).

Seed rule: given the run's ``seed``, a model that samples (one with a ``sampling_generator``
attribute: GenDD) draws its noise during the evaluation from a new generator seeded with
``evaluation_seed(seed, rank)`` (``gendd.engine.seeding``), consumed in the loader's batch order;
torch's global generators are not touched, so evaluating does not change the training's random
stream. The same checkpoint, seed, sampler, test set, batch size and number of processes then
give the same logits in every evaluation during training and in a fresh ``--evaluate`` process.
"""
from __future__ import annotations

import contextlib

import torch
import torch.distributed as dist

from .dist import all_reduce_
from .seeding import evaluation_generator


def _as_dict(out) -> dict[str, torch.Tensor]:
    return out if isinstance(out, dict) else {"": out}


def _key(name: str, metric: str) -> str:
    return f"{name}_{metric}" if name else metric


@contextlib.contextmanager
def seeded_sampling(model: torch.nn.Module, seed: int | None, device):
    """For one evaluation: ``model.sampling_generator`` = a generator seeded with
    ``evaluation_seed(seed, rank)``, then None again (nothing to do without a seed or for a model
    that does not sample)."""
    if seed is None or not hasattr(model, "sampling_generator"):
        yield
        return
    rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
    model.sampling_generator = evaluation_generator(seed, device, rank)
    try:
        yield
    finally:
        model.sampling_generator = None


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader, device: torch.device, num_classes: int | None = None,
             autocast=contextlib.nullcontext, channels_last: bool = False, progress=None,
             seed: int | None = None) -> dict:
    """Top-1/top-5 accuracy (%) per read-out, plus ``count``; with ``num_classes`` also
    ``per_class`` = {name: (correct[C], total[C])} for group accuracies (ImageNet-LT). ``seed``:
    the run's seed, for the seed rule of the module docstring (None: sampling draws from
    torch's global generator)."""
    with seeded_sampling(model, seed, device):
        return _evaluate(model, loader, device, num_classes, autocast, channels_last, progress)


def _evaluate(model, loader, device, num_classes, autocast, channels_last, progress) -> dict:
    was_training = model.training
    model.eval()
    correct: dict[str, torch.Tensor] = {}
    per_class: dict[str, torch.Tensor] = {}
    count = torch.zeros((), dtype=torch.float64, device=device)
    for images, labels in loader:
        images = images.to(device, non_blocking=True)
        if channels_last and images.dim() == 4:
            images = images.contiguous(memory_format=torch.channels_last)
        labels = labels.to(device, non_blocking=True)
        with autocast():
            outputs = _as_dict(model(images))
        count += labels.numel()
        for name, logits in outputs.items():
            top5 = logits.float().topk(min(5, logits.shape[1]), dim=1).indices
            hits = top5 == labels[:, None]
            c = correct.setdefault(name, torch.zeros(2, dtype=torch.float64, device=device))
            c[0] += hits[:, 0].sum()
            c[1] += hits.any(dim=1).sum()
            if num_classes is not None:
                pc = per_class.setdefault(name, torch.zeros(2, num_classes, dtype=torch.float64, device=device))
                pc[0].index_add_(0, labels, hits[:, 0].double())
                pc[1].index_add_(0, labels, torch.ones_like(labels, dtype=torch.float64))
        if progress is not None:
            progress.update(1)
    all_reduce_(count)
    results: dict = {"count": int(count.item())}
    for name in sorted(correct):
        c = all_reduce_(correct[name]).cpu()
        results[_key(name, "top1")] = 100.0 * c[0].item() / max(1.0, count.item())
        results[_key(name, "top5")] = 100.0 * c[1].item() / max(1.0, count.item())
    if num_classes is not None:
        results["per_class"] = {name: tuple(all_reduce_(pc).cpu()) for name, pc in per_class.items()}
    model.train(was_training)
    return results
