"""Seeding per rank and capture/restore of every random number generator state.

A checkpoint stores ``rng_state()`` of each rank so that a resumed run continues with
the same random stream as an uninterrupted one (torch CPU, every CUDA device of the
process, NumPy and Python's ``random``).
"""
from __future__ import annotations

import contextlib
import random

import numpy as np
import torch

RNGS = ("torch", "python", "numpy")


def seed_everything(seed: int, rank: int = 0) -> int:
    """Seed torch (CPU and CUDA), NumPy and Python with ``seed + rank``; returns it."""
    s = int(seed) + int(rank)
    random.seed(s)
    np.random.seed(s % 2**32)
    torch.manual_seed(s)
    return s


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 63-bit seed for the augmentation of sample ``index`` in ``epoch`` (a SplitMix64 hash),
    independent of rank, worker and batch position, so data order and augmentation survive
    a resume and a change of the number of workers."""
    x = (int(seed) * 0x9E3779B97F4A7C15 + int(epoch) * 0xBF58476D1CE4E5B9 + int(index)) & (2**64 - 1)
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    return (x ^ (x >> 31)) >> 1


EVALUATION_STREAM = 2**32  # the "epoch" of ``sample_seed`` that names the evaluations' stream (no run reaches it)


def evaluation_seed(seed: int, rank: int = 0) -> int:
    """The seed of the generator a sampled evaluation of a run with ``seed`` draws from on
    ``rank``: ``sample_seed(seed, 2**32, rank)``, apart from every training stream. Each
    evaluation starts a new generator from it, so the same checkpoint, seed, sampler, test set,
    batch size and number of processes give the same logits during training and in a fresh
    ``--evaluate`` process."""
    return sample_seed(seed, EVALUATION_STREAM, rank)


def evaluation_generator(seed: int, device, rank: int = 0) -> torch.Generator:
    """A generator on ``device`` seeded with ``evaluation_seed(seed, rank)``."""
    return torch.Generator(device=device).manual_seed(evaluation_seed(seed, rank))


@contextlib.contextmanager
def seeded_rngs(seed: int, rngs: tuple[str, ...] = RNGS):
    """Run a block with the global CPU generators in ``rngs`` seeded by ``seed``, then restore
    them: a sample's augmentation depends on its own seed only. Seeding torch's CPU generator
    costs microseconds, NumPy's about 0.3 ms ("python" and "numpy" matter for timm's
    RandAugment; torchvision's transforms draw from torch alone)."""
    unknown = set(rngs) - set(RNGS)
    if unknown:
        raise ValueError(f"unknown generators {sorted(unknown)}; choose from {RNGS}")
    cpu = torch.default_generator
    saved = {"torch": cpu.get_state()}
    cpu.manual_seed(seed)
    if "numpy" in rngs:
        saved["numpy"] = np.random.get_state()
        np.random.seed(seed % 2**32)
    if "python" in rngs:
        saved["python"] = random.getstate()
        random.seed(seed)
    try:
        yield
    finally:
        cpu.set_state(saved["torch"])
        if "numpy" in saved:
            np.random.set_state(saved["numpy"])
        if "python" in saved:
            random.setstate(saved["python"])
