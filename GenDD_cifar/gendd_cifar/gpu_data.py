"""A device-resident training batch source for the CIFAR tree (``--gpu_data``).

The whole training set lives on the device as uint8 (N, 3, 32, 32) (CIFAR-100: 150 MB;
Fashion-MNIST padded to 32×32 and repeated to 3 channels, as the CPU pipeline does), and each
batch is augmented there: random crop 32 with zero padding 4, horizontal flip with probability
½, then x/255 normalised with the data set's mean and std, the CPU pipeline's
``ToTensor`` + ``Normalize``.

It follows the engine's batch-source contract (``steps_per_epoch``, ``batches(epoch,
start_step)``) and its order: the epoch permutation and the rank sharding are those of
``gendd.engine.data.ResumableBatchSampler``. The crop offsets and flips of epoch e are drawn for
every sample index at once from a generator on the device seeded from (seed, e), so a sample's
augmentation depends only on (seed, epoch, index): resuming at ``start_step`` and any world size
see the same images. Works on CPU too (the tests run it there).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Subset

from gendd.engine.data import ResumableBatchSampler

from .data import CIFAR100_MEAN, CIFAR100_STD, FMNIST_MEAN, FMNIST_STD

NORMALISATION = {"cifar100": (CIFAR100_MEAN, CIFAR100_STD), "fashion_mnist": (FMNIST_MEAN, FMNIST_STD)}

PAD, SIZE = 4, 32


def raw_training_images(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images (N, 3, 32, 32), int64 labels (N,)) of a torchvision CIFAR-100 or
    Fashion-MNIST set, or of (nested) ``Subset``s of one, before any transform."""
    if isinstance(dataset, Subset):
        images, labels = raw_training_images(dataset.dataset)
        index = torch.as_tensor(dataset.indices, dtype=torch.long)
        return images[index], labels[index]
    data = dataset.data
    images = torch.from_numpy(data) if isinstance(data, np.ndarray) else torch.as_tensor(data)
    if images.dtype != torch.uint8:
        raise ValueError(f"--gpu_data needs uint8 images, {type(dataset).__name__} holds {images.dtype}")
    if images.ndim == 4 and images.shape[-1] == 3:          # CIFAR: (N, 32, 32, 3)
        images = images.permute(0, 3, 1, 2)
    elif images.ndim == 3 and images.shape[1:] == (28, 28):  # Fashion-MNIST: pad 2, 3 channels
        images = F.pad(images, (2, 2, 2, 2))[:, None].expand(-1, 3, -1, -1)
    else:
        raise ValueError(f"--gpu_data supports CIFAR-100 and Fashion-MNIST, got images of shape {tuple(images.shape)}")
    return images.contiguous(), torch.as_tensor(dataset.targets, dtype=torch.long)


def crop_flip_normalize(images: torch.Tensor, top: torch.Tensor, left: torch.Tensor, flip: torch.Tensor,
                        mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 (B, C, 32, 32) → float32: crop 32×32 at (top, left) of the zero-padded (40×40) image,
    mirror where ``flip``, then (x/255 − mean)/std per channel."""
    padded = F.pad(images, (PAD, PAD, PAD, PAD))
    steps = torch.arange(SIZE, device=images.device)
    rows = top[:, None] + steps
    cols = torch.where(flip[:, None], left[:, None] + SIZE - 1 - steps, left[:, None] + steps)
    batch = torch.arange(images.shape[0], device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    crops = padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
    return (crops.float() / 255 - mean[:, None, None]) / std[:, None, None]


class DeviceSource:
    """Batch source over a device-resident uint8 training set (see the module docstring)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean, std, batch_size: int, seed: int,
                 device: torch.device, rank: int = 0, world_size: int = 1, drop_last: bool = False):
        self.images, self.labels = images.to(device), labels.to(device)
        self.mean = torch.tensor(mean, dtype=torch.float32, device=device)
        self.std = torch.tensor(std, dtype=torch.float32, device=device)
        self.seed, self.device = seed, torch.device(device)
        self.sampler = ResumableBatchSampler(len(images), batch_size, seed, rank, world_size, drop_last=drop_last)
        self.steps_per_epoch = len(self.sampler)

    def augmentation(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(top, left, flip) for every sample index in ``epoch``, drawn on the device from (seed, epoch)."""
        gen = torch.Generator(device=self.device).manual_seed(int(self.seed) * 1_000_003 + int(epoch) + 7)
        n = len(self.images)
        offsets = torch.randint(0, 2 * PAD + 1, (2, n), generator=gen, device=self.device)
        flip = torch.rand(n, generator=gen, device=self.device) < 0.5
        return offsets[0], offsets[1], flip

    def batches(self, epoch: int, start_step: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        top, left, flip = self.augmentation(epoch)
        self.sampler.set_epoch(epoch, start_step)
        for batch in self.sampler:
            index = torch.tensor([i for i, _ in batch], dtype=torch.long).to(self.device, non_blocking=True)
            yield (crop_flip_normalize(self.images[index], top[index], left[index], flip[index], self.mean, self.std),
                   self.labels[index])


def device_source(train: Dataset, dataset: str, batch_size: int, seed: int, device: torch.device, rank: int = 0,
                  world_size: int = 1) -> DeviceSource:
    """The ``DeviceSource`` of a CIFAR-tree training set (``dataset``: its name, for the normalisation)."""
    images, labels = raw_training_images(train)
    mean, std = NORMALISATION[dataset]
    return DeviceSource(images, labels, mean, std, batch_size, seed, device, rank, world_size)
