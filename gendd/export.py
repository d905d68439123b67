"""The distilled student alone, out of a finished run: the pieces both trees' ``export_student.py`` share.

A run's ``final.pth`` (or ``best.pth``, a step checkpoint) holds ``{"model": distiller state_dict,
"epoch": E, "metrics": {...}}``; the student is every ``student.*`` entry (the diffusion head, the
projector, the teacher and its classifier are dropped). The student's own final layer is
kept: it is GenDD's linear probe (KD: the student's classifier), so the plain architecture
loaded with the exported weights gives the run's probe (KD: top-1) accuracy.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import torch
import yaml
from torch import nn

from .state_dicts import StateDictMismatch, UnreadableCheckpoint, load_state_dict_strict, read_checkpoint

STUDENT = "student."
ACCURACY_KEYS = ("probe_top1", "top1")


class ExportError(ValueError):
    """Bad input to the export command (printed as one ``error:`` line, exit code 2)."""


def checkpoint_of(run: str) -> str:
    """``run`` itself when it is a file, else the run folder's ``final.pth``."""
    if os.path.isfile(run):
        return run
    final = os.path.join(run, "final.pth")
    if not os.path.isfile(final):
        raise ExportError(f"--run {run!r} is neither a checkpoint file nor a finished run folder (no final.pth): "
                          f"pass a run folder of save/ or its final.pth")
    return final


def run_config(checkpoint: str) -> dict:
    """The ``config.yaml`` of the run that wrote ``checkpoint`` (its folder, or the one above for step files)."""
    folder = os.path.dirname(os.path.abspath(checkpoint))
    for candidate in (folder, os.path.dirname(folder)):
        path = os.path.join(candidate, "config.yaml")
        if os.path.isfile(path):
            with open(path) as fh:
                return yaml.safe_load(fh) or {}
    return {}


def student_state(checkpoint: str) -> tuple[dict[str, torch.Tensor], dict]:
    """(the student's state_dict without its ``student.`` prefix, the checkpoint's metadata)."""
    obj = read_checkpoint(checkpoint)
    sd = obj.get("model") if isinstance(obj, dict) else None
    if not isinstance(sd, dict) or not any(k.startswith(STUDENT) for k in sd):
        raise ExportError(f"{checkpoint!r} holds no distiller state_dict with 'student.*' keys: pass a run of this "
                          f"project (final.pth, best.pth or checkpoints/step_*.pth)")
    meta = {"epoch": obj.get("epoch"), "metrics": obj.get("metrics") or {}}
    return {k[len(STUDENT):]: v.detach().cpu() for k, v in sd.items() if k.startswith(STUDENT)}, meta


def recorded_accuracy(metrics: dict) -> float | None:
    """The run's probe top-1 (GenDD) or top-1 (a student trained with a logit loss), if recorded."""
    return next((float(metrics[k]) for k in ACCURACY_KEYS if k in metrics), None)


def load_student(run: str, arch: str | None, build: Callable[[str, int], nn.Module]) -> tuple[nn.Module, str, dict]:
    """(the plain student holding the run's weights, its architecture, the checkpoint's metadata)."""
    checkpoint = checkpoint_of(run)
    sd, meta = student_state(checkpoint)
    arch = arch or run_config(checkpoint).get("model_s")
    if not arch:
        raise ExportError(f"cannot tell the student architecture of {checkpoint!r} (no config.yaml with model_s "
                          f"beside it): pass --model_s")
    if "fc.weight" not in sd:
        raise ExportError(f"the student of {checkpoint!r} has no final layer 'fc': not a student of this project")
    model = build(arch, sd["fc.weight"].shape[0])
    load_state_dict_strict(model, sd, what=f"the student of {checkpoint!r} as {arch!r}")
    meta["source"] = os.path.abspath(checkpoint)
    return model.eval(), arch, meta


def parse_args(argv: list[str] | None, layout: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=f"Export a run's student alone, in {layout}.")
    p.add_argument("--run", required=True, help="a run folder (its final.pth is used) or a checkpoint file")
    p.add_argument("--out", required=True, help="the file to write, e.g. student.pth")
    p.add_argument("--model_s", default=None, help="the student architecture (default: the run's config.yaml)")
    return p.parse_args(argv)


def export_main(argv: list[str] | None, layout: str, build: Callable[[str, int], nn.Module],
                save: Callable[[nn.Module, str, str, dict], None]) -> int:
    """Parse, load, ``save(model, out, arch, meta)``, report; bad input -> one error line, exit 2."""
    args = parse_args(argv, layout)
    try:
        model, arch, meta = load_student(args.run, args.model_s, build)
        save(model, args.out, arch, meta)
    except (ExportError, StateDictMismatch, UnreadableCheckpoint, FileNotFoundError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    accuracy = recorded_accuracy(meta["metrics"])
    recorded = f"; the run recorded top-1 {accuracy:.2f} % for it" if accuracy is not None else ""
    print(f"wrote {args.out}: {arch} student ({sum(p.numel() for p in model.parameters())} parameters) from "
          f"{meta['source']}, {layout}{recorded}")
    return 0
