"""Data order that survives a resume, and evaluation that sees every sample once.

Training data reaches the engine as a *batch source*: an object with ``steps_per_epoch``
and ``batches(epoch, start_step)`` yielding ``(images, labels)``. ``DatasetSource`` wraps
any map-style dataset:

* the epoch's order is a permutation drawn from ``(seed, epoch)`` alone, identical on
  every rank and for any world size; rank r takes positions r, r+W, r+2W, ... (the tail
  that does not divide by W is dropped), so W ranks with batch b see, step by step, the
  same samples as one process with batch W·b;
* each sample's augmentation is seeded by ``sample_seed(seed, epoch, index)`` (torch,
  NumPy and Python generators are seeded around the transform and restored after), so
  it depends neither on rank, worker nor batch position;
* ``start_step`` skips already-trained batches without loading them (mid-epoch resume).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .seeding import RNGS, sample_seed, seeded_rngs


def epoch_permutation(n: int, seed: int, epoch: int, shuffle: bool = True) -> list[int]:
    if not shuffle:
        return list(range(n))
    gen = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=gen).tolist()


class ResumableBatchSampler(Sampler):
    """Batches of ``(index, sample_seed)`` for one rank; call ``set_epoch`` before iterating."""

    def __init__(self, n: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True, drop_last: bool = False):
        if n < world_size:
            raise ValueError(f"dataset of {n} samples is smaller than the world size {world_size}")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.rank, self.world_size, self.shuffle, self.drop_last = rank, world_size, shuffle, drop_last
        self.epoch, self.start_step = 1, 0

    def set_epoch(self, epoch: int, start_step: int = 0) -> None:
        self.epoch, self.start_step = epoch, start_step

    def per_rank(self) -> int:
        return self.n // self.world_size

    def __len__(self) -> int:
        m = self.per_rank()
        return m // self.batch_size if self.drop_last else -(-m // self.batch_size)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        order = epoch_permutation(self.n, self.seed, self.epoch, self.shuffle)
        mine = order[: self.per_rank() * self.world_size][self.rank::self.world_size]
        for step in range(self.start_step, len(self)):
            idx = mine[step * self.batch_size:(step + 1) * self.batch_size]
            yield [(i, sample_seed(self.seed, self.epoch, i)) for i in idx]


class SeededDataset(Dataset):
    """``dataset[index]`` computed under ``seeded_rngs(sample seed, rngs)``; ``rngs`` names the
    global generators the transforms draw from (see ``seeding.seeded_rngs``)."""

    def __init__(self, dataset: Dataset, rngs: tuple[str, ...] = RNGS):
        self.dataset, self.rngs = dataset, tuple(rngs)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]):
        index, seed = item
        with seeded_rngs(seed, self.rngs):
            return self.dataset[index]


class DatasetSource:
    """A batch source over a map-style dataset of ``(image, label)`` pairs."""

    def __init__(self, dataset: Dataset, batch_size: int, seed: int, rank: int = 0, world_size: int = 1,
                 num_workers: int = 0, pin_memory: bool = False, drop_last: bool = False,
                 rngs: tuple[str, ...] = RNGS):
        self.sampler = ResumableBatchSampler(len(dataset), batch_size, seed, rank, world_size, drop_last=drop_last)
        self.loader = DataLoader(
            SeededDataset(dataset, rngs), batch_sampler=self.sampler, num_workers=num_workers,
            pin_memory=pin_memory, persistent_workers=num_workers > 0,
            generator=torch.Generator().manual_seed(seed))  # keeps the global RNG untouched
        self.steps_per_epoch = len(self.sampler)

    def batches(self, epoch: int, start_step: int = 0) -> Iterator:
        self.sampler.set_epoch(epoch, start_step)
        return iter(self.loader)


class EvalShard(Sampler):
    """Rank r evaluates indices r, r+W, ...: every sample exactly once, no padding."""

    def __init__(self, n: int, rank: int = 0, world_size: int = 1):
        self.indices: Sequence[int] = range(rank, n, world_size)

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        return iter(self.indices)


def eval_loader(dataset: Dataset, batch_size: int, rank: int = 0, world_size: int = 1,
                num_workers: int = 0, pin_memory: bool = False) -> DataLoader:
    """Batches of rank ``rank``'s shard in index order; iterating draws from the loader's own
    generator, not torch's global one (evaluating leaves the training's random stream alone)."""
    return DataLoader(dataset, batch_size=batch_size, sampler=EvalShard(len(dataset), rank, world_size),
                      num_workers=num_workers, pin_memory=pin_memory, generator=torch.Generator().manual_seed(0))
