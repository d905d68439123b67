"""Training-loader throughput: the CPU pipeline (PIL crop/flip, ToTensor, Normalize per image,
``DatasetSource``) against the device-resident one (``--gpu_data``: ``DeviceSource``), on a
synthetic uint8 CIFAR-sized set, batch 64, one epoch each, images delivered on the device.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from gendd.engine.data import DatasetSource
from gendd_cifar.data import CIFAR100_MEAN, CIFAR100_STD, cifar_transforms
from gendd_cifar.gpu_data import DeviceSource
from timing import synchronize


class SyntheticCifar(Dataset):
    def __init__(self, n: int, transform):
        rng = np.random.default_rng(0)
        self.data = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        self.targets = rng.integers(0, 100, n).tolist()
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.data[i])), self.targets[i]


def epoch_images_per_s(source, device: torch.device) -> float:
    start, count = time.perf_counter(), 0
    for images, labels in source.batches(1):
        images = images.to(device, non_blocking=True)
        count += len(images)
    synchronize(device)
    return count / (time.perf_counter() - start)


def loader_records(device: torch.device, n: int = 6400, batch: int = 64, workers: int = 0) -> list[dict]:
    train_tf, _ = cifar_transforms(CIFAR100_MEAN, CIFAR100_STD)
    data = SyntheticCifar(n, train_tf)
    cpu = DatasetSource(data, batch, seed=0, num_workers=workers, rngs=("torch",))
    images = torch.from_numpy(data.data).permute(0, 3, 1, 2).contiguous()
    gpu = DeviceSource(images, torch.tensor(data.targets), CIFAR100_MEAN, CIFAR100_STD, batch, 0, device)
    epoch_images_per_s(gpu, device)  # warm-up (kernels, generator)
    return [{"kind": "loader", "mode": name, "setting": {"images": n, "batch": batch, "workers": workers},
             "images_per_s": epoch_images_per_s(source, device)}
            for name, source in (("CPU pipeline (DatasetSource)", cpu), ("device-resident (--gpu_data)", gpu))]
