"""Teacher flags of the ImageNet-tree scripts and the teacher they name: ``--arch_t`` with
``--path_t`` ('torchvision', 'timm:<name>' or a local file), checked against the data's class
count, as the ``Teacher`` the scripts hand on (its val accuracy is logged unless
--skip_teacher_eval); a dry run builds remote teachers with shapes only (no download)."""
from __future__ import annotations

import argparse

import torch
from torch import nn

from gendd.cli import UserError
from gendd.cli.teacher import Teacher
from gendd.engine import DistEnv
from gendd.state_dicts import StateDictMismatch

from .data_args import Data
from .models import BEIT_TAGS, TORCHVISION_WEIGHTS, build_model
from .teachers import fitting_archs, load_teacher, read_weights, teacher_state_dict


def add_teacher_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    t = p.add_argument_group("teacher")
    t.add_argument("--arch_t", required=required, help="teacher architecture, e.g. resnet34, beitv2_large_patch16_224")
    t.add_argument("--path_t", default="torchvision",
                   help="teacher weights: 'torchvision' (IMAGENET1K_V1), 'timm:<model name>' or a local file")
    t.add_argument("--skip_teacher_eval", action="store_true", help="do not print the teacher's val accuracy")


def teacher_arch(args) -> str | None:
    """--arch_t (None for a script without a teacher)."""
    return getattr(args, "arch_t", None)


def is_remote(spec: str) -> bool:
    return spec == "torchvision" or spec.startswith("timm:")


def teacher_from_args(args, env: DistEnv, data: Data) -> Teacher:
    """The frozen teacher named by --arch_t/--path_t, checked against the data's class count;
    its val accuracy is logged unless --skip_teacher_eval or a dry run.

    A dry run does not download: torchvision/timm teachers are built on the meta device
    (shapes only) after the same checks a real load makes; local files load for real."""
    evaluated = not (args.skip_teacher_eval or args.dry_run)
    if args.dry_run and is_remote(args.path_t):
        return Teacher(shapes_only_teacher(args.path_t, args.arch_t, data.num_classes), args.arch_t, args.path_t)
    try:
        teacher = load_teacher(args.path_t, args.arch_t, num_classes=data.num_classes)
    except StateDictMismatch as err:
        raise teacher_mismatch(args, args.arch_t, data.num_classes) or UserError(
            f"cannot load the teacher {args.arch_t} from --path_t {args.path_t!r}: {err}") from err
    except (ValueError, RuntimeError, FileNotFoundError) as err:
        raise UserError(f"cannot load the teacher {args.arch_t} from --path_t {args.path_t!r}: {err}") from err
    return Teacher(teacher.to(env.device), args.arch_t, args.path_t, eval_data=data.eval if evaluated else None,
                   split="val")


def teacher_mismatch(args, arch: str, num_classes: int) -> UserError | None:
    """The plain reason the --path_t file does not load as ``arch``: another zoo architecture
    or another class count than the data's (None when it is neither)."""
    classes, fits = fitting_archs(teacher_state_dict(read_weights(args.path_t)), num_classes)
    if fits and arch not in fits:
        return UserError(f"teacher {args.path_t!r} is a {fits[0]} checkpoint, not a {arch}: pass --arch_t "
                         f"{fits[0]}" + (f" (it has {classes} output classes; the data has {num_classes})"
                                         if classes != num_classes else ""))
    if classes != num_classes:
        return UserError(f"teacher {args.path_t!r} has {classes} output classes but the data under --data "
                         f"{args.data!r} has {num_classes}: use a teacher trained on these classes")
    return None


def shapes_only_teacher(spec: str, arch: str, num_classes: int) -> nn.Module:
    known = TORCHVISION_WEIGHTS if spec == "torchvision" else BEIT_TAGS
    name = arch if spec == "torchvision" else spec[len("timm:"):].partition(".")[0]
    if name != arch or arch not in known:
        raise UserError(f"teacher spec {spec!r} does not provide {arch!r} (it offers {sorted(known)})")
    if num_classes != 1000:
        raise UserError(f"{spec!r} weights have 1000 classes but the data has {num_classes}: pass a local teacher file")
    with torch.device("meta"):
        return build_model(arch, num_classes).eval().requires_grad_(False)
