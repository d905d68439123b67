"""Checkpoints of the original implementation loaded into ``GenDD`` / ``GenDDPretrain`` (docs/method.md §5).

Files: CIFAR ``{"model": sd, ...}``; ImageNet ``{"state_dict": sd, "optimizer": ..., "epoch": ...}``
with DDP's ``module.`` prefix. Keys, reference -> this project:
``model.*`` -> ``student.*``, ``classifier.*`` -> ``teacher_fc.*``, ``cls_centers`` -> ``cls_centers``,
``cls_projector.0.*`` -> ``projector.*``, ``diffloss.net.*`` -> ``head.*``, stage 1's ``proj.*`` ->
``proj.*``; ``chunk_idx`` (the token indices, shape (1, N)) must equal arange(N) for the
distiller's N tokens and is dropped. Any key that cannot be placed, and any key the module
needs but the file lacks, is named in the error (in the original implementation's spelling).
"""
from __future__ import annotations

import os

import torch
from torch import nn

from .state_dicts import (StateDictMismatch, describe_mismatch, load_state_dict_strict, mismatch_report,
                          read_checkpoint, strip_prefix, unwrap)

RENAMES = {"model": "student", "classifier": "teacher_fc", "cls_projector.0": "projector", "diffloss.net": "head",
           "cls_centers": "cls_centers", "proj": "proj"}
TOKEN_INDEX_KEY = "chunk_idx"


def _rename(key: str, renames: dict[str, str]) -> str | None:
    for old, new in renames.items():
        if key == old or key.startswith(old + "."):
            return new + key[len(old):]
    return None


def _to_reference_name(key: str) -> str:
    return _rename(key, {new: old for old, new in RENAMES.items()}) or key


def check_token_indices(chunk_idx: torch.Tensor, num_tokens: int) -> None:
    """``chunk_idx`` must be arange(N) (any leading singleton dims) for the distiller's N tokens."""
    if chunk_idx.shape[-1] != num_tokens:
        raise StateDictMismatch(f"the original implementation's checkpoint splits the teacher feature into "
                                f"{chunk_idx.shape[-1]} tokens, this GenDD into {num_tokens}: use the teacher (and "
                                f"--token_dim) it was trained with")
    if not torch.equal(chunk_idx.reshape(-1).long().cpu(), torch.arange(num_tokens)):
        raise StateDictMismatch(f"the checkpoint's chunk_idx is {chunk_idx.reshape(-1).tolist()[:8]}..., "
                                f"not the token indices 0..{num_tokens - 1}: the file is not a GenDD checkpoint "
                                f"of the original implementation (or it was edited)")


def reference_state_dict(obj: object, num_tokens: int | None) -> dict[str, torch.Tensor]:
    """The original implementation's checkpoint ``obj`` (a loaded file, a path or a state_dict) as a state_dict of
    this project's distiller; ``num_tokens`` is None for stage 1 (no chunk_idx expected).

    Raises ``StateDictMismatch`` naming every key that has no place in this project's layout.
    """
    if isinstance(obj, (str, os.PathLike)):
        obj = read_checkpoint(obj)
    sd = strip_prefix(unwrap(obj), "module.")
    chunk_idx = sd.pop(TOKEN_INDEX_KEY, None)
    if num_tokens is not None:
        if chunk_idx is None:
            raise StateDictMismatch(f"the checkpoint has no {TOKEN_INDEX_KEY!r}: it is not a GenDD stage-2 file "
                                    f"of the original implementation")
        check_token_indices(chunk_idx, num_tokens)
    elif chunk_idx is not None:
        raise StateDictMismatch(f"{TOKEN_INDEX_KEY!r} belongs to stage-2 checkpoints; load this file into GenDD")
    renamed, unplaced = {}, []
    for key, value in sd.items():
        new = _rename(key, RENAMES)
        if new is None:
            unplaced.append(key)
        else:
            renamed[new] = value
    if unplaced:
        raise StateDictMismatch(describe_mismatch("reference GenDD checkpoint", [], sorted(unplaced), [],
                                                  "these keys have no place in a GenDD distiller of this project"))
    return renamed


def load_reference_checkpoint(distiller: nn.Module, obj: object) -> None:
    """Load a reference checkpoint strictly into ``distiller`` (``GenDD`` for stage 2, a module without
    ``num_tokens`` such as ``GenDDPretrain`` for stage 1); errors name keys as the file spells them."""
    sd = reference_state_dict(obj, getattr(distiller, "num_tokens", None))
    missing, unexpected, shapes = mismatch_report(distiller, sd)
    if missing or unexpected or shapes:
        raise StateDictMismatch(describe_mismatch(
            "reference GenDD checkpoint", [_to_reference_name(k) for k in missing],
            [_to_reference_name(k) for k in unexpected], shapes,
            "check --model_s, the head's --width/--depth and the teacher of that run"))
    load_state_dict_strict(distiller, sd, what="reference GenDD checkpoint")


def reference_head_config(obj: object) -> dict[str, int]:
    """Head/teacher sizes stored in a reference stage-2 checkpoint: width, depth, cond_dim (Ds),
    num_tokens (N), token_dim and teacher_fc (num_classes, Dt), to build a matching ``GenDD``."""
    if isinstance(obj, (str, os.PathLike)):
        obj = read_checkpoint(obj)
    sd = strip_prefix(unwrap(obj), "module.")
    try:
        width, cond_dim = sd["diffloss.net.cond_embed.weight"].shape
        num_tokens = sd["diffloss.net.pos_embed.weight"].shape[0]
        token_dim = sd["diffloss.net.input_proj.weight"].shape[1]
        teacher_fc = tuple(sd["classifier.weight"].shape)
    except KeyError as err:
        raise StateDictMismatch(f"not a reference GenDD stage-2 checkpoint: it lacks {err.args[0]!r}") from err
    depth = len({k.split(".")[3] for k in sd if k.startswith("diffloss.net.res_blocks.")})
    return {"width": width, "depth": depth, "cond_dim": cond_dim, "num_tokens": num_tokens,
            "token_dim": token_dim, "teacher_fc": teacher_fc}
