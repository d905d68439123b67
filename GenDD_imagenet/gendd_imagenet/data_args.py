"""Data flags of the ImageNet-tree scripts (with the engine flags: ``base_parser``) and the
data they name (``build_data``): ImageNet ImageFolder, CC3M shards, ImageNet-LT lists.

Scripts read and check every input (data, teacher, start weights) before they claim the run
folder, so that bad input is refused with a clear message and leaves it untouched.

Data kinds: "imagenet" (train/ and val/ under --data), "cc3m" (label-free training on
--train_shards, evaluation on ImageNet val under --data) and "lt" (ImageNet-LT list files,
image paths relative to --data). The class count always comes from the data.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

import torch

from gendd.cli import UserError, add_engine_args
from gendd.cli.config_file import ConfigFileParser
from gendd.engine import DatasetSource, DistEnv, eval_loader
from gendd.validation import POSITIVE, checked, within

from .batches import MixedSource, Unlabelled
from .data import (CC3MSource, ImageNetLT, MixupCutmix, class_counts, eval_transform, image_folder, imagenet_folders,
                   read_list, recipe_train_transform, train_transform)

RECIPES = ("none", "A1", "A2")
DATA_KINDS = ("imagenet", "cc3m", "lt")


def base_parser(description: str, kind: str = "imagenet") -> argparse.ArgumentParser:
    """Data and engine flags for a script training on data ``kind`` (imagenet, cc3m or lt)."""
    if kind not in DATA_KINDS:
        raise ValueError(f"unknown data kind {kind!r}; choose one of {DATA_KINDS}")
    p = ConfigFileParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--data", default="./data/imagenet", help="ImageNet root holding train/ and val/ class folders"
                   + (" (the images of the LT list files)" if kind == "lt" else ""))
    if kind == "cc3m":
        g.add_argument("--train_shards", default="./data/cc3m/{00000..00331}.tar",
                       help="CC3M webdataset shards (img2dataset layout), a brace pattern")
        checked(g.add_argument("--iterations_per_epoch", type=int, default=5500, help="steps per CC3M epoch"), POSITIVE)
        checked(g.add_argument("--shuffle_buffer", type=int, default=1000,
                               help="samples in each reader's shuffle buffer"), POSITIVE)
    if kind == "lt":
        g.add_argument("--lt_train_list", default="./data/ImageNet_LT/ImageNet_LT_train.txt")
        g.add_argument("--lt_val_list", default="./data/ImageNet_LT/ImageNet_LT_test.txt")
    checked(g.add_argument("--batch_size", type=int, default=64,
                           help="global batch: split evenly over the processes (gendd/engine/layout.py)"), POSITIVE)
    checked(g.add_argument("--eval_batch_size", type=int, default=100, help="per-process evaluation batch size"),
            POSITIVE)
    checked(g.add_argument("--image_size", type=int, default=224, help="training/evaluation crop size"), POSITIVE)
    checked(g.add_argument("--crop_scale", type=float, default=0.08, help="RandomResizedCrop scale lower bound"),
            within(0, 1))
    g.add_argument("--recipe", default="none", choices=RECIPES,
                   help="A1/A2: RandAugment + Mixup/CutMix (+ label smoothing for A1) with mixed soft targets")
    g.add_argument("--trial", default="0", help="run name suffix")
    add_engine_args(p)
    p.set_defaults(data_kind=kind)
    return p


@dataclass
class Data:
    eval: torch.utils.data.DataLoader         # the validation images, every one once across ranks
    num_classes: int
    source: object | None = None              # training batch source; None when only evaluating
    train_counts: torch.Tensor | None = None  # ImageNet-LT: training images per class (shot groups)


def build_data(args, env: DistEnv, train: bool = True) -> Data:
    """Validation loader (every image once across ranks) and, with ``train``, the batch source."""
    check_data_folders(args, train)
    try:
        return _build_data(args, env, train)
    except ValueError as err:
        raise UserError(str(err)) from err


def _build_data(args, env: DistEnv, train: bool) -> Data:
    kind, size = args.data_kind, args.image_size
    if args.recipe != "none" and kind == "cc3m":
        raise ValueError("--recipe mixes labels, but CC3M training has none: use --recipe none")
    val_tf, train_tf = eval_transform(size), _train_transform(args)
    counts = None
    if kind == "lt":
        train_list = read_list(args.lt_train_list)
        num_classes = max(label for _, label in train_list) + 1
        counts = class_counts([label for _, label in train_list], num_classes)
        val = ImageNetLT(args.data, args.lt_val_list, val_tf, num_classes=num_classes)
        train_set = ImageNetLT(args.data, args.lt_train_list, train_tf) if train else None
    elif kind == "imagenet" and train:
        train_set, val = imagenet_folders(args.data, train_tf, val_tf)
        num_classes = len(val.classes)
    else:
        train_set, val = None, image_folder(args.data, "val", val_tf)
        num_classes = len(val.classes)
    pin = env.device.type == "cuda"
    data = Data(eval_loader(val, args.eval_batch_size, env.rank, env.world_size, args.num_workers, pin),
                num_classes, train_counts=counts)
    if train:
        data.source = _train_source(args, env, train_set, train_tf, num_classes, pin)
    return data


def check_data_folders(args, train: bool) -> None:
    """--data must be a folder, holding train/ and val/ where the data kind reads them (a
    clear error instead of one from deep inside the loaders)."""
    if args.data_kind == "lt":
        need, layout = (), "the folder that the paths in the ImageNet-LT list files are relative to"
    else:
        need = ("train", "val") if args.data_kind == "imagenet" and train else ("val",)
        layout = "the ImageNet root holding " + " and ".join(f"{split}/<class>/<image>" for split in need)
    fetch = ("(DATA_ROOT in the launchers); `bash sh/prepare_imagenet.sh` in GenDD_imagenet/ lays ImageNet out "
             "there (docs/data.md)")
    if not os.path.isdir(args.data):
        raise UserError(f"--data {args.data!r} ({os.path.abspath(args.data)}) is no folder: point it at {layout} "
                        f"{fetch}")
    missing = [split for split in need if not os.path.isdir(os.path.join(args.data, split))]
    if missing:
        raise UserError(f"--data {args.data!r} has no {' or '.join(m + '/' for m in missing)} folder: point it at "
                        f"{layout} {fetch}")


def _train_transform(args):
    scale = (args.crop_scale, 1.0)
    if args.recipe == "none":
        return train_transform(args.image_size, scale)
    return recipe_train_transform(args.recipe, args.image_size, scale)


def _train_source(args, env: DistEnv, train_set, train_tf, num_classes: int, pin: bool):
    if args.data_kind == "cc3m":
        return Unlabelled(CC3MSource(args.train_shards, train_tf, args.batch_per_process, args.iterations_per_epoch,
                                     args.seed, env.rank, env.world_size, args.num_workers, args.shuffle_buffer, pin))
    mixing = args.recipe != "none"
    if mixing and args.batch_per_process % 2:
        raise ValueError(f"--recipe {args.recipe} mixes pairs of images: use a --batch_size that gives every "
                         f"process an even batch, got {args.batch_per_process} per process")
    source = DatasetSource(train_set, args.batch_per_process, args.seed, env.rank, env.world_size, args.num_workers,
                           pin,
                           drop_last=mixing)
    return MixedSource(source, MixupCutmix.for_recipe(args.recipe, num_classes)) if mixing else source
