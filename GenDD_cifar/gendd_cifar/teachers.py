"""CIFAR-100 teacher files: the public RepDistiller/CRD ``<arch>_vanilla/ckpt_epoch_240.pth``.

A file is a dict whose ``"model"`` entry is the state_dict of the zoo architecture, with
the final linear layer under its public name (``FINAL_LAYER_NAMES``: ``classifier`` for
vgg*, ``linear`` for ResNet50 and the ShuffleNets, ``classifier.0`` for MobileNetV2, ``fc``
elsewhere). ``load_teacher`` reads such a file (or a raw state_dict, ``{"state_dict": ...}``,
``module.``-prefixed keys) strictly; ``save_model`` writes our own files in the same layout.
"""
from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from gendd.engine.checkpoint import atomic_save
from gendd.state_dicts import (StateDictMismatch, describe_mismatch, find_fitting, load_state_dict_strict,
                               mismatch_report, read_checkpoint, rename_keys, strip_prefix, unwrap)

from .models import FINAL_LAYER_NAMES, build_model, model_names

_VANILLA_DIR = re.compile(r"^(?P<arch>.+)_vanilla$")


def infer_arch(path: str | os.PathLike) -> str | None:
    """The ``<arch>`` of the nearest ``<arch>_vanilla`` folder on ``path``, None if there is none.

    Raises ValueError when such a folder names no architecture of the zoo."""
    for part in reversed(Path(path).parts[:-1]):
        match = _VANILLA_DIR.match(part)
        if match:
            arch = match.group("arch")
            if arch not in FINAL_LAYER_NAMES:
                raise ValueError(f"folder {part!r} of {os.fspath(path)!r} names no CIFAR architecture {arch!r}; "
                                 f"valid names: {', '.join(model_names())} (or pass --arch)")
            return arch
    return None


def to_our_names(sd: Mapping[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """Public layout -> ours: the final layer's public name becomes ``fc``."""
    return rename_keys(sd, {FINAL_LAYER_NAMES[arch]: "fc"})


def to_public_names(sd: Mapping[str, torch.Tensor], arch: str) -> dict[str, torch.Tensor]:
    """Our layout -> public: ``fc`` becomes the final layer's public name."""
    return rename_keys(sd, {"fc": FINAL_LAYER_NAMES[arch]})


@functools.lru_cache(maxsize=None)
def _meta_model(arch: str, num_classes: int) -> nn.Module:
    """``arch`` built on the meta device: shapes only, no memory (cached; read-only use)."""
    with torch.device("meta"):
        return build_model(arch, num_classes)


def fitting_archs(sd: Mapping[str, torch.Tensor]) -> list[str]:
    """Zoo architectures whose keys and shapes equal ``sd``'s after their own final-layer rename,
    at the class count of the file's final layer."""
    fits = []
    for arch in model_names():
        ours = to_our_names(sd, arch)
        if "fc.weight" in ours and ours["fc.weight"].dim() == 2:
            build = functools.partial(_meta_model, arch, ours["fc.weight"].shape[0])
            fits += find_fitting(ours, {arch: build})
    return fits


def _fit_hint(sd: Mapping[str, torch.Tensor], num_classes: int) -> str:
    fits = fitting_archs(sd)
    if not fits:
        return f"this file fits no CIFAR architecture (valid: {', '.join(model_names())})"
    classes = to_our_names(sd, fits[0])["fc.weight"].shape[0]
    if classes != num_classes:
        return f"this file is a {classes}-class {fits[0]!r}: pass num_classes={classes} (--num-classes {classes})"
    names = ", ".join(repr(a) for a in fits)
    return f"this file fits {names}: pass --arch {fits[0]} or fix the folder name"


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state_dict inside a checkpoint file (CPU), unwrapped and without ``module.``."""
    return strip_prefix(unwrap(read_checkpoint(path)))


def load_teacher(path: str | os.PathLike, arch: str | None = None, num_classes: int = 100) -> nn.Module:
    """The CIFAR teacher stored at ``path``, frozen (no gradients) and in eval mode.

    ``arch`` names the architecture; when omitted it comes from the ``<arch>_vanilla`` folder
    on the path. Loading is strict: a file that does not fit raises StateDictMismatch listing
    the missing and unexpected keys and naming the architecture(s) the file does fit."""
    arch = arch or infer_arch(path)
    if arch is None:
        raise ValueError(f"cannot tell the architecture of {os.fspath(path)!r}: it is in no '<arch>_vanilla' "
                         f"folder; pass arch= (--arch), one of {', '.join(model_names())}")
    model = build_model(arch, num_classes)
    sd = read_state_dict(path)
    ours = to_our_names(sd, arch)
    missing, unexpected, shapes = mismatch_report(model, ours)
    if missing or unexpected or shapes:
        what = f"teacher {os.fspath(path)!r} as {arch!r}"
        raise StateDictMismatch(describe_mismatch(what, missing, unexpected, shapes, _fit_hint(sd, num_classes)))
    load_state_dict_strict(model, ours, what=f"teacher {os.fspath(path)!r}")
    model.requires_grad_(False)
    return model.eval()


def save_model(model: nn.Module, path: str | os.PathLike, arch: str, extra: Mapping | None = None) -> None:
    """Write ``model`` as a public-layout teacher file: ``{"model": state_dict, **extra}`` with
    the final layer under its public name, tensors on CPU, written atomically (``gendd.engine.atomic_save``).

    The state_dict must fit ``arch`` exactly (DDP ``module.`` and ``torch.compile``
    ``_orig_mod.`` prefixes are removed first)."""
    sd = strip_prefix(strip_prefix(model.state_dict(), "module."), "_orig_mod.")
    num_classes = sd["fc.weight"].shape[0] if "fc.weight" in sd else 100
    missing, unexpected, shapes = mismatch_report(_meta_model(arch, num_classes), sd)
    if missing or unexpected or shapes:
        raise StateDictMismatch(describe_mismatch(f"model to save as {arch!r}", missing, unexpected, shapes,
                                                  "pass the architecture the model was built as"))
    payload = dict(extra or {})
    payload["model"] = {k: v.detach().cpu() for k, v in to_public_names(sd, arch).items()}
    atomic_save(payload, os.fspath(path))
