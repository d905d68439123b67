"""Teacher flags of the CIFAR-tree scripts and the teacher they name: ``--path_t`` (a public
``<arch>_vanilla/ckpt_epoch_240.pth`` or one of our exports), ``--arch_t`` (default: from that
folder), checked against the data's class count, as the ``Teacher`` the scripts hand on (its test
accuracy is logged and kept in the run's teacher.json unless --skip_teacher_eval)."""
from __future__ import annotations

import argparse

from gendd.cli import UserError
from gendd.cli.teacher import Teacher
from gendd.engine import DistEnv
from gendd.state_dicts import StateDictMismatch

from .data_args import Data
from .teachers import fitting_archs, infer_arch, load_teacher, read_state_dict, to_our_names


def add_teacher_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    t = p.add_argument_group("teacher")
    t.add_argument("--path_t", required=required, default="",
                   help="teacher checkpoint, e.g. save/models/resnet110_vanilla/ckpt_epoch_240.pth")
    t.add_argument("--arch_t", default=None, help="teacher architecture (default: from the '<arch>_vanilla' folder)")
    t.add_argument("--skip_teacher_eval", action="store_true", help="do not print the teacher's test accuracy")


def teacher_arch(args) -> str | None:
    """--arch_t, else the ``<arch>`` of the ``<arch>_vanilla`` folder holding --path_t (None when
    neither tells)."""
    try:
        return args.arch_t or (infer_arch(args.path_t) if args.path_t else None)
    except ValueError as err:
        raise UserError(f"{err}; or pass --arch_t") from err


def teacher_from_args(args, env: DistEnv, data: Data) -> Teacher:
    """The frozen teacher of --path_t on the device, checked to have the data's class count."""
    arch, num_classes = teacher_arch(args), data.num_classes
    if arch is None:
        raise UserError(f"cannot tell the teacher architecture of {args.path_t!r}: keep it in an "
                        f"'<arch>_vanilla' folder or pass --arch_t")
    try:
        teacher = load_teacher(args.path_t, arch, num_classes=num_classes)
    except StateDictMismatch as err:
        raise teacher_mismatch(args, arch, num_classes) or err
    except ValueError as err:
        raise UserError(str(err)) from err
    return Teacher(teacher.to(env.device), arch, args.path_t, eval_data=None if args.skip_teacher_eval else data.test,
                   split="test", channels_last=True, record=True)


def teacher_mismatch(args, arch: str, num_classes: int) -> UserError | None:
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
