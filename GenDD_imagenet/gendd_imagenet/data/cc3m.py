"""CC3M as webdataset tar shards (what img2dataset writes: ``NNNNNNNNN.jpg/.txt/.json`` per
sample), read without labels, as a batch source of exactly ``iterations`` batches per epoch.

Splitting. The epoch's shard stream is an endless concatenation of shard permutations, each
drawn from ``(seed, epoch, pass)``. With R ranks and W data-loader workers there are S = R·W
slots; slot s = rank·W + worker reads stream positions s, s+S, s+2S, ... So within one pass
over the shards every shard, hence every sample, goes to exactly one (rank, worker); later
passes (needed when ``iterations`` asks for more samples than the shards hold) repeat shards in
a new order. Each slot shuffles its samples in a buffer seeded by ``(seed, epoch, slot)``.

Batches. Global batch k of a rank (0 <= k < iterations) is made by worker k mod W, which is
exactly the worker PyTorch's DataLoader asks for it, so a rank gets ``iterations`` batches, in
an order fixed by ``(seed, epoch, rank, W)``. ``start_step`` skips the first batches without
decoding them (each worker drops its share of raw samples), and the remaining batches are the
uninterrupted epoch's batches ``start_step, ..., iterations-1``. Augmentation of sample i of
batch k is seeded by ``sample_seed(seed, epoch, (rank·iterations + k)·batch_size + i)``.

Yields ``(images (B, C, H, W), labels)`` with the dummy label -1 for every image (CC3M has no
classes; methods run label-free, e.g. GenDD with λ = 0).
"""
from __future__ import annotations

import io
import itertools
import os
import random
import warnings
from collections.abc import Callable, Iterator, Sequence

import braceexpand
import torch
import webdataset as wds
from PIL import Image
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from gendd.engine.seeding import sample_seed, seeded_rngs

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")


def expand_shards(patterns: str | Sequence[str]) -> list[str]:
    """Brace-expand shard patterns ("/data/cc3m/{00000..00331}.tar") into the shards to read.

    Local shards that do not exist are left out with a warning (img2dataset may leave gaps when
    some shards fail); FileNotFoundError when none of them exists."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    urls = [url for pattern in patterns for url in braceexpand.braceexpand(pattern)]
    if not urls:
        raise ValueError("no CC3M shards given: pass a pattern such as '/data/cc3m/{00000..00331}.tar'")
    missing = [u for u in urls if "://" not in u and not u.startswith("pipe:") and not os.path.isfile(u)]
    if len(missing) == len(urls):
        raise FileNotFoundError(f"{len(missing)} of {len(urls)} CC3M shards do not exist, e.g. {missing[:3]}; "
                                f"check the shard pattern (img2dataset writes NNNNN.tar files)")
    if missing:
        warnings.warn(f"{len(missing)} of {len(urls)} CC3M shards do not exist and are skipped, e.g. "
                      f"{missing[:3]}; training reads the other {len(urls) - len(missing)}", stacklevel=2)
    absent = set(missing)
    return [u for u in urls if u not in absent]


def _warn_unreadable(exc: Exception) -> bool:
    """webdataset handler: a shard (or tar member) that cannot be read is skipped with a warning."""
    warnings.warn(f"skipping an unreadable part of a CC3M shard: {type(exc).__name__}: {exc}", stacklevel=2)
    return True


class CC3MEpoch(IterableDataset):
    """One rank's batches of one epoch; iterate it through a DataLoader with ``batch_size=None``."""

    def __init__(self, urls: list[str], transform: Callable, batch_size: int, iterations: int, seed: int,
                 epoch: int, rank: int, world_size: int, start_step: int, shuffle_buffer: int):
        super().__init__()
        self.urls, self.transform, self.batch_size, self.iterations = urls, transform, batch_size, iterations
        self.seed, self.epoch, self.rank, self.world_size = seed, epoch, rank, world_size
        self.start_step, self.shuffle_buffer = start_step, shuffle_buffer

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        workers, loader_id = (info.num_workers, info.id) if info else (1, 0)
        # the DataLoader asks process loader_id first for batch start_step + loader_id
        worker = (loader_id + self.start_step) % workers
        mine = range(worker, self.iterations, workers)
        skipped = sum(1 for k in mine if k < self.start_step)
        b = self.batch_size
        samples = itertools.islice(self._slot_samples(self.rank * workers + worker, self.world_size * workers),
                                   skipped * b, len(mine) * b)
        batches = zip(*[samples] * b)  # groups of b consecutive samples
        for k, batch in zip(mine[skipped:], batches):
            yield self._collate(k, batch)

    def _slot_samples(self, slot: int, slots: int) -> Iterator[dict]:
        """Raw (undecoded) samples of one slot, pass after pass over the shards; the shuffle
        buffer is flushed at the end of each pass so that passes never mix."""
        rng = random.Random(f"cc3m-buffer:{self.seed}:{self.epoch}:{slot}")
        n_urls, empty_run = len(self.urls), 0
        for repeat in itertools.count():
            order = list(self.urls)
            random.Random(f"cc3m-shards:{self.seed}:{self.epoch}:{repeat}").shuffle(order)
            mine = order[(slot - repeat * n_urls) % slots::slots]  # stream positions = slot mod slots
            source = [{"url": url} for url in mine]
            pipeline = wds.DataPipeline(lambda: iter(source), wds.tarfile_to_samples(handler=_warn_unreadable),
                                        wds.shuffle(self.shuffle_buffer, initial=self.shuffle_buffer, rng=rng))
            count = 0
            for count, sample in enumerate(pipeline, 1):
                yield sample
            empty_run = 0 if count else empty_run + len(mine)
            if empty_run >= n_urls:
                raise RuntimeError(f"{empty_run} CC3M shards in a row held no sample (e.g. {mine[0]!r}): the "
                                   f"shards are empty or not webdataset tars; check them")

    def _collate(self, k: int, batch: tuple) -> tuple[torch.Tensor, torch.Tensor]:
        first = (self.rank * self.iterations + k) * self.batch_size
        images = [self._augment(_decode_image(s), sample_seed(self.seed, self.epoch, first + i))
                  for i, s in enumerate(batch)]
        return torch.stack(images), torch.full((len(images),), -1, dtype=torch.long)

    def _augment(self, image, seed: int) -> torch.Tensor:
        """``transform(image)`` with torch, NumPy and Python generators seeded by ``seed``, then restored."""
        with seeded_rngs(seed):
            return self.transform(image)


def _decode_image(sample: dict) -> Image.Image:
    """The RGB PIL image of a raw webdataset sample (img2dataset stores it as .jpg)."""
    for ext in IMAGE_EXTENSIONS:
        if ext in sample:
            return Image.open(io.BytesIO(sample[ext])).convert("RGB")
    raise ValueError(f"sample {sample.get('__key__')!r} in {sample.get('__url__')!r} has no image "
                     f"({', '.join(IMAGE_EXTENSIONS)}); its fields are "
                     f"{sorted(k for k in sample if not k.startswith('__'))}")


class CC3MSource:
    """The engine's batch source over CC3M shards: ``steps_per_epoch == iterations`` and
    ``batches(epoch, start_step)`` yielding ``(images, labels = -1)`` for this rank.

    ``shards`` are brace patterns or urls; ``transform`` maps an RGB PIL image to a tensor.
    Requires at least ``world_size · max(num_workers, 1)`` shards so that every sample of a
    pass over the shards goes to one (rank, worker).
    """

    def __init__(self, shards: str | Sequence[str], transform: Callable, batch_size: int, iterations: int,
                 seed: int, rank: int = 0, world_size: int = 1, num_workers: int = 4,
                 shuffle_buffer: int = 1000, pin_memory: bool = False):
        if batch_size < 1 or iterations < 1 or shuffle_buffer < 1:
            raise ValueError(f"batch_size ({batch_size}), iterations ({iterations}) and shuffle_buffer "
                             f"({shuffle_buffer}) must be positive")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside a world of size {world_size}")
        self.urls = expand_shards(shards)
        slots = world_size * max(num_workers, 1)
        if len(self.urls) < slots:
            raise ValueError(f"{len(self.urls)} CC3M shards cannot be split over {world_size} ranks x "
                             f"{max(num_workers, 1)} workers = {slots} readers: use fewer data-loader workers "
                             f"or more shards")
        self.transform, self.batch_size, self.seed = transform, batch_size, seed
        self.rank, self.world_size, self.num_workers = rank, world_size, num_workers
        self.shuffle_buffer, self.pin_memory = shuffle_buffer, pin_memory
        self.steps_per_epoch = iterations

    def batches(self, epoch: int, start_step: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches ``start_step, ..., iterations-1`` of ``epoch`` (1-based) for this rank."""
        if not 0 <= start_step <= self.steps_per_epoch:
            raise ValueError(f"start_step {start_step} is outside the epoch's {self.steps_per_epoch} steps")
        dataset = CC3MEpoch(self.urls, self.transform, self.batch_size, self.steps_per_epoch, self.seed, epoch,
                            self.rank, self.world_size, start_step, self.shuffle_buffer)
        loader = DataLoader(dataset, batch_size=None, num_workers=self.num_workers, pin_memory=self.pin_memory,
                            generator=torch.Generator().manual_seed(self.seed))  # keeps the global RNG untouched
        return iter(loader)
