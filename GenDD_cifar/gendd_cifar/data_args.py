"""Data flags of the CIFAR-tree scripts (with the engine flags: ``base_parser``) and the data
they name (``build_data``): CIFAR-100 or Fashion-MNIST, an optional validation split and
stratified subsets, the training batch source and the evaluation loaders.

Scripts read and check every input (data, teacher, start weights) before they claim the
run folder, so that bad input is refused with a clear message and leaves it untouched."""
from __future__ import annotations

import argparse
import os
import pickle
from dataclasses import dataclass

import torch

from gendd.cli import UserError, add_engine_args
from gendd.cli.config_file import ConfigFileParser
from gendd.engine import DatasetSource, DistEnv, eval_loader
from gendd.validation import NON_NEGATIVE, POSITIVE, checked

from .data import DATASETS, DEBIAN_FMNIST, Datasets, build_datasets
from .gpu_data import device_source


def base_parser(description: str, kind: str = "cifar100") -> argparse.ArgumentParser:
    """Data and engine flags for a script training on data ``kind`` (here: the default --dataset)."""
    p = ConfigFileParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default=kind, choices=DATASETS)
    g.add_argument("--data_root", default="./data",
                   help="an existing folder holding the data set (CIFAR-100 is downloaded into it when absent)")
    checked(g.add_argument("--val_split", type=int, default=0,
                           help="hold out this many training images as a validation split for checkpoint selection"),
            NON_NEGATIVE)
    checked(g.add_argument("--train_subset", type=int, default=0,
                           help="train on a stratified subset of this many images"), NON_NEGATIVE)
    checked(g.add_argument("--test_subset", type=int, default=0,
                           help="test on a fixed stratified subset of this many test images (the same for every run)"),
            NON_NEGATIVE)
    checked(g.add_argument("--batch_size", type=int, default=64,
                           help="global batch: split evenly over the processes (gendd/engine/layout.py)"), POSITIVE)
    g.add_argument("--gpu_data", action="store_true",
                   help="keep the training set on the device and crop/flip/normalise there (gendd_cifar.gpu_data)")
    g.add_argument("--trial", default="0", help="run name suffix")
    add_engine_args(p)
    return p


@dataclass
class Data:
    sets: Datasets
    eval: torch.utils.data.DataLoader
    test: torch.utils.data.DataLoader
    source: object | None = None  # training batch source; None when only evaluating

    @property
    def num_classes(self) -> int:
        return self.sets.num_classes


def build_data(args, env: DistEnv, train: bool = True) -> Data:
    """Evaluation and test loaders and, with ``train``, the training batch source, from the
    data flags; a --data_root that does not exist is refused
    (nothing is downloaded into a mistyped path) unless the data set comes from local files
    (Fashion-MNIST from the Debian package is unpacked there)."""
    local = args.dataset == "fashion_mnist" and os.path.isdir(DEBIAN_FMNIST)
    if not os.path.isdir(args.data_root) and not local:
        raise UserError(f"--data_root {args.data_root!r} ({os.path.abspath(args.data_root)}) is no folder: point it "
                        f"at the folder holding cifar-100-python/, or create it to let CIFAR-100 be downloaded "
                        f"there (needs internet)")
    try:
        sets = build_datasets(args.dataset, args.data_root, args.val_split, args.train_subset, args.seed,
                              test_subset=args.test_subset)
    except ValueError as err:
        raise UserError(str(err)) from err
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError, KeyError) as err:
        raise UserError(f"cannot read {args.dataset} under {args.data_root!r} ({type(err).__name__}: {err}): the "
                        f"files are missing, unreadable or truncated. Check --data_root, or delete the data set's "
                        f"folder there to download it again (CIFAR-100, needs internet)") from err
    pin, workers = env.device.type == "cuda", args.num_workers
    evl = eval_loader(sets.eval, 256, env.rank, env.world_size, workers, pin)
    test = evl if sets.eval is sets.test else eval_loader(sets.test, 256, env.rank, env.world_size, workers, pin)
    return Data(sets, evl, test, _train_source(args, env, sets) if train else None)


def _train_source(args, env: DistEnv, sets: Datasets):
    if getattr(args, "gpu_data", False):  # the whole training set on the device, augmented there
        return device_source(sets.train, args.dataset, args.batch_per_process, args.seed, env.device, env.rank,
                             env.world_size)
    # the CIFAR transforms draw from torch's generator only
    return DatasetSource(sets.train, args.batch_per_process, args.seed, env.rank, env.world_size, args.num_workers,
                         env.device.type == "cuda", rngs=("torch",))
