"""What every CIFAR-tree script shares: data flags and loaders, teacher loading with its
accuracy report, run-folder preparation, and the final test evaluation.

Scripts read and check every input (data, teacher, start weights) before they claim the
run folder, so that bad input is refused with a clear message and leaves it untouched."""
from __future__ import annotations

import argparse
import json
import os
import pickle
from dataclasses import dataclass

import torch
from torch import nn

from gendd.cli import UserError, add_engine_args
from gendd.engine import DatasetSource, DistEnv, RunLogger, eval_loader, evaluate
from gendd.state_dicts import StateDictMismatch

from .data import DATASETS, DEBIAN_FMNIST, Datasets, build_datasets
from .gpu_data import device_source
from .teachers import fitting_archs, infer_arch, load_teacher, read_state_dict, to_our_names


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="cifar100", choices=DATASETS)
    g.add_argument("--data_root", default="./data",
                   help="an existing folder holding the data set (CIFAR-100 is downloaded into it when absent)")
    g.add_argument("--val_split", type=int, default=0,
                   help="hold out this many training images as a validation split for checkpoint selection")
    g.add_argument("--train_subset", type=int, default=0, help="train on a stratified subset of this many images")
    g.add_argument("--test_subset", type=int, default=0,
                   help="test on a fixed stratified subset of this many test images (the same for every run)")
    g.add_argument("--batch_size", type=int, default=64,
                   help="global batch: split evenly over the processes (gendd/engine/layout.py)")
    g.add_argument("--gpu_data", action="store_true",
                   help="keep the training set on the device and crop/flip/normalise there (gendd_cifar.gpu_data)")
    g.add_argument("--trial", default="0", help="run name suffix")
    add_engine_args(p)
    return p


@dataclass
class Data:
    sets: Datasets
    source: DatasetSource
    eval: torch.utils.data.DataLoader
    test: torch.utils.data.DataLoader


def build_data(args, env: DistEnv) -> Data:
    """Data sets and loaders from the data flags; a --data_root that does not exist is refused
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
    pin = env.device.type == "cuda"
    workers = args.num_workers
    if getattr(args, "gpu_data", False):  # the whole training set on the device, augmented there
        source = device_source(sets.train, args.dataset, args.batch_per_process, args.seed, env.device, env.rank,
                               env.world_size)
    else:  # the CIFAR transforms draw from torch's generator only
        source = DatasetSource(sets.train, args.batch_per_process, args.seed, env.rank, env.world_size, workers, pin,
                               rngs=("torch",))
    evl = eval_loader(sets.eval, 256, env.rank, env.world_size, workers, pin)
    test = evl if sets.eval is sets.test else eval_loader(sets.test, 256, env.rank, env.world_size, workers, pin)
    return Data(sets, source, evl, test)


def add_teacher_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--path_t", required=required, default="",
                   help="teacher checkpoint, e.g. save/models/resnet110_vanilla/ckpt_epoch_240.pth")
    p.add_argument("--arch_t", default=None, help="teacher architecture (default: from the '<arch>_vanilla' folder)")
    p.add_argument("--skip_teacher_eval", action="store_true", help="do not print the teacher's test accuracy")


def teacher_from_args(args, env: DistEnv, num_classes: int) -> tuple[nn.Module, str]:
    """(frozen teacher on the device, arch) from --path_t (arch from its `<arch>_vanilla` folder
    or --arch_t), checked to have ``num_classes`` outputs."""
    try:
        arch = args.arch_t or infer_arch(args.path_t)
    except ValueError as err:
        raise UserError(f"{err}; or pass --arch_t") from err
    if arch is None:
        raise UserError(f"cannot tell the teacher architecture of {args.path_t!r}: keep it in an "
                        f"'<arch>_vanilla' folder or pass --arch_t")
    try:
        teacher = load_teacher(args.path_t, arch, num_classes=num_classes)
    except StateDictMismatch as err:
        raise _teacher_mismatch(args, arch, num_classes) or err
    except ValueError as err:
        raise UserError(str(err)) from err
    return teacher.to(env.device), arch


def _teacher_mismatch(args, arch: str, num_classes: int) -> UserError | None:
    """The plain reason a teacher file does not load as ``arch``: another class count or
    another architecture of the zoo (None when it is neither)."""
    sd = read_state_dict(args.path_t)
    fc = to_our_names(sd, arch).get("fc.weight")
    if fc is not None and fc.dim() == 2 and fc.shape[0] != num_classes:
        return UserError(f"teacher {args.path_t!r} has {fc.shape[0]} output classes but --dataset {args.dataset} has "
                         f"{num_classes}: use a teacher trained on {args.dataset}")
    fits = fitting_archs(sd)
    if fits and arch not in fits:
        return UserError(f"teacher {args.path_t!r} is a {fits[0]} checkpoint, not a {arch}: pass --arch_t {fits[0]} "
                         f"or keep the file in a '{fits[0]}_vanilla' folder")
    return None


def report_teacher(teacher: nn.Module, arch: str, args, env: DistEnv, data: Data, logger: RunLogger) -> None:
    """Log the teacher's test accuracy and write <run>/teacher.json, unless --skip_teacher_eval."""
    if args.skip_teacher_eval:
        return
    acc = evaluate(teacher, data.test, env.device, channels_last=True)
    logger.info(f"teacher {arch} ({args.path_t}): test top-1 {acc['top1']:.2f} %, top-5 {acc['top5']:.2f} %")
    if env.is_main:
        with open(os.path.join(logger.run_dir, "teacher.json"), "w") as fh:
            json.dump({"arch": arch, "path": args.path_t, **acc}, fh, indent=2)


def final_test(model, data: Data, env: DistEnv, run_dir: str, logger: RunLogger, name: str = "test.json") -> dict:
    """Evaluate on the test set after training when checkpoints were chosen on a validation split."""
    if data.sets.eval_split == "test":
        return {}
    result = evaluate(model, data.test, env.device, channels_last=True)
    if env.is_main:
        with open(os.path.join(run_dir, name), "w") as fh:
            json.dump(result, fh, indent=2)
    logger.info(f"test set (last epoch): {result}")
    return result
