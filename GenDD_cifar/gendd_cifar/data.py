"""CIFAR-100 (and Fashion-MNIST for the quick start) for the CIFAR tree.

CIFAR-100 comes through torchvision (downloaded under ``root`` when absent) with docs/method.md §6's
augmentation: random crop 32 with padding 4, horizontal flip, per-channel normalisation.
Fashion-MNIST (real data available offline from the Debian package ``dataset-fashion-mnist``)
is padded from 28×28 to 32×32 and repeated to 3 channels so it runs through the same models
and the same augmentation.

``build_datasets`` can hold out a stratified validation split from the training set (for
choosing checkpoints without looking at the test set), can restrict training to a
stratified subset (the limited-data regime), and can evaluate on a fixed stratified subset
of the test set (the same for every run, for settings too slow to run on all of it).
"""
from __future__ import annotations

import gzip
import os
import pickle
import shutil
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset, Subset
from torchvision import datasets, transforms

CIFAR100_MEAN, CIFAR100_STD = (0.5071, 0.4867, 0.4408), (0.2675, 0.2565, 0.2761)
FMNIST_MEAN, FMNIST_STD = (0.2860,) * 3, (0.3530,) * 3
DEBIAN_FMNIST = "/usr/share/datasets/fashion-mnist"
DATASETS = ("cifar100", "fashion_mnist")
TEST_SUBSET_SEED = 12345


@dataclass
class Datasets:
    train: Dataset
    eval: Dataset          # what training evaluates every epoch (validation split or test set)
    test: Dataset
    num_classes: int
    eval_split: str        # "val" or "test": says how a "best" epoch was chosen


def cifar_transforms(mean, std, pre=()):
    train = transforms.Compose([*pre, transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                transforms.ToTensor(), transforms.Normalize(mean, std)])
    test = transforms.Compose([*pre, transforms.ToTensor(), transforms.Normalize(mean, std)])
    return train, test


class CIFAR100(datasets.CIFAR100):
    """torchvision's CIFAR-100 that trusts the batch files already on disk: their checksums
    are verified once, on download (of the archive), not re-hashed at every start."""

    def _check_integrity(self) -> bool:
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, name)) for name, _ in self.train_list + self.test_list)

    def _load_meta(self) -> None:
        with open(os.path.join(self.root, self.base_folder, self.meta["filename"]), "rb") as fh:
            self.classes = pickle.load(fh, encoding="latin1")[self.meta["key"]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}


def _raw(name, root, train, transform, download):
    if name == "cifar100":
        try:
            return CIFAR100(root, train=train, transform=transform, download=download)
        except RuntimeError as err:
            raise FileNotFoundError(f"CIFAR-100 not found under {root!r} and could not be downloaded ({err}); "
                                    f"put cifar-100-python/ there or pass --data_root") from err
    prepare_fashion_mnist(root)
    return datasets.FashionMNIST(root, train=train, transform=transform, download=download)


def prepare_fashion_mnist(root: str) -> None:
    """Unpack the Debian package's gzip IDX files into torchvision's ``FashionMNIST/raw`` when present."""
    raw = os.path.join(root, "FashionMNIST", "raw")
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    if all(os.path.isfile(os.path.join(raw, n)) for n in names) or not os.path.isdir(DEBIAN_FMNIST):
        return
    os.makedirs(raw, exist_ok=True)
    for n in names:
        src = os.path.join(DEBIAN_FMNIST, n + ".gz")
        tmp = os.path.join(raw, n + ".part")
        with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
            shutil.copyfileobj(fin, fout)
        os.replace(tmp, os.path.join(raw, n))


def targets_of(dataset: Dataset) -> torch.Tensor:
    if isinstance(dataset, Subset):
        return targets_of(dataset.dataset)[torch.as_tensor(dataset.indices)]
    return torch.as_tensor(dataset.targets)


def stratified_split(targets: torch.Tensor, n_take: int, seed: int) -> tuple[list[int], list[int]]:
    """(taken, rest): ``n_take`` indices spread over classes in proportion, drawn with ``seed``."""
    if not 0 < n_take < len(targets):
        raise ValueError(f"cannot take {n_take} of {len(targets)} training images; choose 0 < n < {len(targets)}")
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(targets), generator=gen)
    classes = targets[order]
    rank_in_class = torch.zeros_like(order)
    for c in classes.unique():
        mask = classes == c
        rank_in_class[mask] = torch.arange(int(mask.sum()))
    counts = torch.bincount(classes)
    quota = torch.floor(counts.double() * n_take / len(targets)).long()
    spare = n_take - int(quota.sum())
    quota[torch.argsort(counts, descending=True)[:spare]] += 1
    take = rank_in_class < quota[classes]
    return sorted(order[take].tolist()), sorted(order[~take].tolist())


def build_datasets(name: str, root: str, val_split: int = 0, train_subset: int = 0, seed: int = 0,
                   download: bool = True, test_subset: int = 0) -> Datasets:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    mean, std = (CIFAR100_MEAN, CIFAR100_STD) if name == "cifar100" else (FMNIST_MEAN, FMNIST_STD)
    pre = () if name == "cifar100" else (transforms.Pad(2), transforms.Grayscale(num_output_channels=3))
    train_tf, test_tf = cifar_transforms(mean, std, pre)
    train = _raw(name, root, True, train_tf, download)
    test = _raw(name, root, False, test_tf, download)
    if test_subset:  # the same images whatever the run's seed, so runs stay comparable
        test = Subset(test, stratified_split(targets_of(test), test_subset, TEST_SUBSET_SEED)[0])
    num_classes = len(train.classes)
    evalset, eval_split = test, "test"
    if val_split:
        val_idx, train_idx = stratified_split(targets_of(train), val_split, seed + 7919)
        evalset, eval_split = Subset(_raw(name, root, True, test_tf, download), val_idx), "val"
        train = Subset(train, train_idx)
    if train_subset:
        keep, _ = stratified_split(targets_of(train), train_subset, seed)
        train = Subset(train, keep)
    return Datasets(train, evalset, test, num_classes, eval_split)
