"""Loading frozen ImageNet teachers from torchvision, timm or a local file.

``load_teacher(spec, arch, num_classes)`` understands three kinds of ``spec``:

* ``"torchvision"``: torchvision's IMAGENET1K_V1 weights (resnet18/34/50);
* ``"timm:<model name>"``: timm's pretrained BEiT-v2 (e.g.
  ``"timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k"``); the name's architecture must be ``arch``;
* a local file: a raw state_dict, ``{"model": sd}``, ``{"state_dict": sd, ...}`` (with or without
  DDP's ``module.`` prefix), a ``.safetensors`` file, or a checkpoint of our engine
  (``{"model": distiller state_dict, ...}``), whose ``student.*`` entries are the model.

Files load strictly: a file that does not fit ``arch`` fails with every missing/unexpected key
listed and, when one exists, the zoo architecture (and class count) that the file does fit.
"""
from __future__ import annotations

import functools
import os

import torch
from torch import nn

from gendd.state_dicts import (StateDictMismatch, find_fitting, load_state_dict_strict, permission_denied,
                               read_checkpoint, strip_prefix, unwrap)

from .models import BEIT_TAGS, TORCHVISION_WEIGHTS, build_beit, build_model, model_names

STUDENT_PREFIX = "student."
CLASSIFIER_KEYS = ("fc.weight", "head.weight")


def load_teacher(spec: str, arch: str, num_classes: int = 1000) -> nn.Module:
    """A frozen (eval mode, no grad) zoo model ``arch`` with the weights named by ``spec``."""
    if spec == "torchvision":
        if arch not in TORCHVISION_WEIGHTS:
            raise ValueError(f"torchvision has no ImageNet weights for {arch!r} (only {sorted(TORCHVISION_WEIGHTS)}); "
                             f"pass a local file" + (" or 'timm:<model name>'" if arch in BEIT_TAGS else ""))
        model = build_model(arch, num_classes, pretrained=True)
    elif spec.startswith("timm:"):
        model = _from_timm(spec[len("timm:"):], arch, num_classes)
    else:
        model = _from_file(spec, arch, num_classes)
    model.eval()
    model.requires_grad_(False)
    return model


def _from_timm(timm_name: str, arch: str, num_classes: int) -> nn.Module:
    timm_arch = timm_name.partition(".")[0]
    if timm_arch != arch:
        raise ValueError(f"teacher spec 'timm:{timm_name}' is a {timm_arch}, but the teacher architecture is {arch!r}; "
                         f"make them agree")
    return build_beit(timm_name, num_classes, pretrained=True)


def _from_file(path: str, arch: str, num_classes: int) -> nn.Module:
    sd = teacher_state_dict(read_weights(path))
    model = build_model(arch, num_classes)
    try:
        load_state_dict_strict(model, sd, what=f"teacher file {path!r} (as {arch}, num_classes={num_classes})")
    except StateDictMismatch as err:
        raise StateDictMismatch(f"{err}\n{fitting_hint(sd, arch, num_classes)}") from None
    return model


def read_weights(path: str) -> object:
    """``read_checkpoint``, or safetensors' loader for ``.safetensors`` files (timm/HF hub format)."""
    if not str(path).endswith(".safetensors") or not os.path.isfile(path):
        return read_checkpoint(path)
    from safetensors.torch import load_file
    try:
        return load_file(path, device="cpu")
    except PermissionError as err:
        raise permission_denied(path) from err
    except Exception as err:
        raise RuntimeError(f"safetensors file {path!r} cannot be read ({type(err).__name__}: {err}); the file is "
                           f"corrupted or truncated: download it again") from err


def teacher_state_dict(obj: object) -> dict[str, torch.Tensor]:
    """The model's state_dict inside a checkpoint: unwrapped, ``module.`` stripped, and for our
    engine's distiller checkpoints only the ``student.*`` entries, with that prefix removed."""
    sd = strip_prefix(unwrap(obj), "module.")
    if any(key.startswith(STUDENT_PREFIX) for key in sd):
        sd = {key[len(STUDENT_PREFIX):]: value for key, value in sd.items() if key.startswith(STUDENT_PREFIX)}
    return sd


def fitting_archs(sd: dict[str, torch.Tensor], num_classes: int) -> tuple[int, list[str]]:
    """(class count of the file's classifier, or ``num_classes`` when it has none; the zoo
    architectures whose state_dict at that class count is exactly ``sd``'s keys and shapes)."""
    classes = next((sd[k].shape[0] for k in CLASSIFIER_KEYS if k in sd and sd[k].dim() == 2), num_classes)
    builders = {name: (lambda name=name: _meta_model(name, classes)) for name in model_names()}
    return classes, find_fitting(sd, builders)


def fitting_hint(sd: dict[str, torch.Tensor], arch: str, num_classes: int) -> str:
    """Which zoo architecture (and class count) the state_dict fits, as advice for the user."""
    classes, fits = fitting_archs(sd, num_classes)
    if arch in fits:
        return f"the file is a {arch} with {classes} classes: pass num_classes={classes}"
    if fits:
        return f"the file fits {', '.join(fits)} (num_classes={classes}): pass that architecture instead of {arch!r}"
    return f"the file fits none of the zoo architectures {model_names()} (tried num_classes={classes})"


@functools.lru_cache(maxsize=None)
def _meta_model(name: str, num_classes: int) -> nn.Module:
    """Built on the meta device (shapes only, no memory, no initialisation cost), once per (name, classes)."""
    with torch.device("meta"):
        return build_model(name, num_classes)
