"""Reading checkpoint files written by other code: unwrap, rename, load strictly, explain.

Every loader in the project goes through ``load_state_dict_strict`` so that a file that
does not fit its module fails loudly, naming every key it could not place, instead of
silently evaluating random weights (``strict=False`` is never used on user files), and a file
whose weights hold NaN or inf (a damaged file, or one saved from a diverged run) is refused
with ``NonFiniteWeights`` naming it, before it can poison a run.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import torch
from torch import nn

from .validation import BadInput

WRAPPER_KEYS = ("state_dict", "model", "module")


class StateDictMismatch(RuntimeError):
    """A state_dict does not fit a module; the message lists every offending key."""


class NonFiniteWeights(BadInput):
    """A weights file holds NaN or inf: unusable (exit 2, naming the file and a tensor)."""


class UnreadableCheckpoint(RuntimeError):
    """A checkpoint file exists but cannot be loaded (corrupted, truncated, not a checkpoint)."""


def read_checkpoint(path: str | os.PathLike) -> object:
    """``torch.load`` on CPU with an error that names the file and the fix."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint {path!r} does not exist; check the path (or fetch/train it first)")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except PermissionError as err:
        raise permission_denied(path) from err
    except Exception as err:  # truncated zip, pickle garbage, ...
        raise UnreadableCheckpoint(
            f"checkpoint {path!r} cannot be read ({type(err).__name__}: {err}); the file is corrupted or "
            f"truncated: download or save it again") from err


def permission_denied(path: str) -> UnreadableCheckpoint:
    """The error for a checkpoint file this user may not read (not a damaged file)."""
    return UnreadableCheckpoint(f"checkpoint {path!r} cannot be opened: permission denied; the file is there but "
                                f"this user may not read it: make it readable (chmod/chown) or copy it somewhere "
                                f"readable")


def unwrap(obj: object, keys: tuple[str, ...] = WRAPPER_KEYS) -> dict[str, torch.Tensor]:
    """The tensor dict inside ``{"model": sd}``, ``{"state_dict": sd, ...}`` or a raw state_dict."""
    while isinstance(obj, Mapping) and not _is_state_dict(obj):
        for key in keys:
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
        else:
            raise StateDictMismatch(
                f"no state_dict found: expected a dict of tensors or one stored under one of {list(keys)}, "
                f"got a dict with keys {sorted(map(str, obj))[:10]}")
    if not isinstance(obj, Mapping):
        raise StateDictMismatch(f"expected a state_dict (a dict of tensors), got {type(obj).__name__}")
    return dict(obj)


def _is_state_dict(obj: Mapping) -> bool:
    return len(obj) > 0 and all(torch.is_tensor(v) for v in obj.values())


def strip_prefix(sd: Mapping[str, torch.Tensor], prefix: str = "module.") -> dict[str, torch.Tensor]:
    """Remove ``prefix`` from every key that has it (DDP and ``torch.compile`` wrappers)."""
    return {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in sd.items()}


def rename_keys(sd: Mapping[str, torch.Tensor], renames: Mapping[str, str]) -> dict[str, torch.Tensor]:
    """Replace a leading key prefix ``old`` by ``new`` for each ``old -> new`` in ``renames``."""
    out = {}
    for key, value in sd.items():
        for old, new in renames.items():
            if key == old or key.startswith(old + "."):
                key = new + key[len(old):]
                break
        out[key] = value
    return out


def mismatch_report(module: nn.Module, sd: Mapping[str, torch.Tensor]) -> tuple[list[str], list[str], list[str]]:
    """(missing keys, unexpected keys, 'key: file shape vs module shape' lines)."""
    own = module.state_dict()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    shapes = [f"{k}: file {tuple(sd[k].shape)} vs module {tuple(own[k].shape)}"
              for k in sorted(set(own) & set(sd)) if tuple(own[k].shape) != tuple(sd[k].shape)]
    return missing, unexpected, shapes


def load_state_dict_strict(module: nn.Module, sd: Mapping[str, torch.Tensor], what: str = "checkpoint",
                           hint: str = "", finite: bool = True) -> None:
    """``module.load_state_dict(sd, strict=True)`` with an error listing every bad key; with
    ``finite``, weights holding NaN or inf are refused (``NonFiniteWeights``)."""
    missing, unexpected, shapes = mismatch_report(module, sd)
    if missing or unexpected or shapes:
        raise StateDictMismatch(describe_mismatch(what, missing, unexpected, shapes, hint))
    bad = nonfinite_entries(sd) if finite else []
    if bad:
        raise NonFiniteWeights(f"{what} holds NaN or inf in {len(bad)} tensor(s) (e.g. {bad[0]}): a model with "
                               f"non-finite weights gives NaN outputs. The file is damaged or was saved from a "
                               f"diverged run: use an intact file (train, save or download it again)")
    module.load_state_dict(sd, strict=True)


def nonfinite_entries(sd: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors of ``sd`` that hold NaN or inf."""
    return [name for name, t in sd.items()
            if torch.is_tensor(t) and t.is_floating_point() and t.device.type != "meta"
            and not bool(torch.isfinite(t).all())]


def describe_mismatch(what: str, missing: list[str], unexpected: list[str], shapes: list[str], hint: str = "") -> str:
    lines = [f"{what} does not fit the module:"]
    for title, keys in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
        if keys:
            lines.append(f"  {title} ({len(keys)}): " + ", ".join(keys))
    if hint:
        lines.append(hint)
    return "\n".join(lines)


def find_fitting(sd: Mapping[str, torch.Tensor], builders: Mapping[str, Callable[[], nn.Module]]) -> list[str]:
    """Names of the architectures whose state_dict has exactly the keys and shapes of ``sd``."""
    fits = []
    want = {k: tuple(v.shape) for k, v in sd.items()}
    for name, build in builders.items():
        have = {k: tuple(v.shape) for k, v in build().state_dict().items()}
        if have == want:
            fits.append(name)
    return fits
