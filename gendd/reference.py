"""Stage-2 checkpoints of the reference GenDD implementation loaded into ``GenDD`` (SPEC §5).

Files: CIFAR ``{"model": sd, ...}``; ImageNet ``{"state_dict": sd, "optimizer": ..., "epoch": ...}``
with DDP's ``module.`` prefix. Keys, reference -> this project:
``model.*`` -> ``student.*``, ``classifier.*`` -> ``teacher_fc.*``, ``cls_centers`` -> ``cls_centers``,
``cls_projector.0.*`` -> ``projector.*``, ``diffloss.net.*`` -> ``head.*``; ``chunk_idx`` (the
token indices, shape (1, N)) is checked against the distiller's N tokens and dropped.
"""
from __future__ import annotations

from torch import nn

from .state_dicts import StateDictMismatch, load_state_dict_strict, rename_keys, strip_prefix, unwrap

RENAMES = {"model": "student", "classifier": "teacher_fc", "cls_projector.0": "projector", "diffloss.net": "head"}


def reference_state_dict(obj: object, num_tokens: int) -> dict:
    """The reference checkpoint ``obj`` as a state_dict of this project's ``GenDD``."""
    sd = strip_prefix(unwrap(obj), "module.")
    chunk_idx = sd.pop("chunk_idx", None)
    if chunk_idx is not None and chunk_idx.shape[-1] != num_tokens:
        raise StateDictMismatch(f"the reference checkpoint splits the teacher feature into {chunk_idx.shape[-1]} "
                                f"tokens, this GenDD into {num_tokens}: use the teacher (and --token_dim) it was "
                                f"trained with")
    return rename_keys(sd, RENAMES)


def load_reference_checkpoint(distiller: nn.Module, obj: object) -> None:
    """Load a reference stage-2 checkpoint into ``distiller`` strictly."""
    load_state_dict_strict(distiller, reference_state_dict(obj, distiller.num_tokens),
                           what="reference GenDD checkpoint",
                           hint="check --model_s, the head's --width/--depth and the teacher of that run")
