"""A finished run's student (or GenDD's whole sampled read-out), in the formats the ecosystem
reads: the pieces both trees' ``export_student.py`` share.

A run's ``final.pth`` (or ``best.pth``, a step checkpoint) holds ``{"model": distiller state_dict,
"epoch": E, "metrics": {...}}``. ``--readout probe`` (the default) keeps the student alone, every
``student.*`` entry: its own final layer is GenDD's linear probe (KD: the student's classifier), so
the plain architecture loaded with the exported weights gives the run's probe (KD: top-1)
accuracy. ``--readout sampled`` keeps the whole GenDD read-out (see ``gendd.readout``).
``--format``: ``pth`` (each tree's public layout), ``safetensors`` or ``onnx`` (see
``gendd.export_formats``; default: --out's suffix); ``--push_to_hub REPO`` also uploads the file
(see ``gendd.hub``).
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .engine.rundir import run_config
from .export_formats import FORMATS, FormatError, format_of, write_onnx, write_safetensors
from .hub import HubError, push_to_hub
from .readout import readout_payload, save_readout
from .state_dicts import StateDictMismatch, UnreadableCheckpoint, load_state_dict_strict, read_checkpoint

STUDENT = "student."
ACCURACY_KEYS = ("probe_top1", "top1")


class ExportError(ValueError):
    """Bad input to the export command (printed as one ``error:`` line, exit code 2)."""


@dataclass(frozen=True)
class ExportTree:
    """What a tree gives the export: its plain architectures, its ``.pth`` layout, its public key
    names and the image shape its models take."""
    layout: str                                               # the .pth layout, in words
    build: Callable[[str, int], nn.Module]                    # (arch, classes) -> plain model
    save_pth: Callable[[nn.Module, str, str, dict], None]     # (model, out, arch, meta)
    public_state: Callable[[nn.Module, str], dict]            # (model, arch) -> state_dict, public key names
    image_shape: Callable[[dict], tuple[int, int, int]]       # run config -> (C, H, W)


def checkpoint_of(run: str) -> str:
    """``run`` itself when it is a file, else the run folder's ``final.pth``."""
    if os.path.isfile(run):
        return run
    final = os.path.join(run, "final.pth")
    if not os.path.isfile(final):
        raise ExportError(f"--run {run!r} is neither a checkpoint file nor a finished run folder (no final.pth): "
                          f"pass a run folder of save/ or its final.pth")
    return final


def run_state(checkpoint: str) -> tuple[dict[str, torch.Tensor], dict]:
    """(the distiller's state_dict, the checkpoint's metadata: epoch, metrics, source)."""
    obj = read_checkpoint(checkpoint)
    sd = obj.get("model") if isinstance(obj, dict) else None
    if not isinstance(sd, dict) or not any(k.startswith(STUDENT) for k in sd):
        raise ExportError(f"{checkpoint!r} holds no distiller state_dict with 'student.*' keys: pass a run of this "
                          f"project (final.pth, best.pth or checkpoints/step_*.pth)")
    meta = {"epoch": obj.get("epoch"), "metrics": obj.get("metrics") or {}, "source": os.path.abspath(checkpoint)}
    return {k: v.detach().cpu() for k, v in sd.items()}, meta


def student_state(checkpoint: str) -> tuple[dict[str, torch.Tensor], dict]:
    """(the student's state_dict without its ``student.`` prefix, the checkpoint's metadata)."""
    sd, meta = run_state(checkpoint)
    return {k[len(STUDENT):]: v for k, v in sd.items() if k.startswith(STUDENT)}, meta


def recorded_accuracy(metrics: dict, readout: str = "probe") -> float | None:
    """The run's top-1 of the exported read-out, if recorded: probe (GenDD), top-1 (a student trained
    with a logit loss), or sampled (GenDD's sampled read-out)."""
    keys = ("sampled_top1",) if readout == "sampled" else ACCURACY_KEYS
    return next((float(metrics[k]) for k in keys if k in metrics), None)


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
    return model.eval(), arch, meta


def parse_args(argv: list[str] | None, layout: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=f"Export a run's student alone (pth: {layout}), or GenDD's sampled "
                                            f"read-out.")
    p.add_argument("--run", required=True, help="a run folder (its final.pth is used) or a checkpoint file")
    p.add_argument("--out", required=True, help="the file to write, e.g. student.pth, student.safetensors, "
                                                "student.onnx")
    p.add_argument("--model_s", default=None, help="the student architecture (default: the run's config.yaml)")
    p.add_argument("--format", choices=FORMATS, default=None, help="file format (default: from --out's suffix; pth)")
    p.add_argument("--readout", choices=("probe", "sampled"), default="probe",
                   help="probe: the student alone; sampled: GenDD's student + projector + diffusion head + teacher "
                        "classifier + sampling settings (pth or safetensors; load with gendd.readout.load_readout)")
    p.add_argument("--push_to_hub", default=None, metavar="REPO",
                   help="also upload the file to this Hugging Face Hub model repository (needs huggingface_hub)")
    return p.parse_args(argv)


def write_export(args: argparse.Namespace, tree: ExportTree) -> tuple[nn.Module, str, dict, str]:
    """Load the run and write --out in its format: (the student, its architecture, metadata, a note)."""
    fmt = format_of(args.out, args.format)
    model, arch, meta = load_student(args.run, args.model_s, tree.build)
    checkpoint, note = checkpoint_of(args.run), ""
    if args.readout == "sampled":
        try:
            payload = readout_payload(run_state(checkpoint)[0], arch, run_config(checkpoint), meta)
            save_readout(payload, args.out, fmt)
        except ValueError as err:
            raise ExportError(str(err)) from err
        return model, arch, meta, f"GenDD's sampled read-out as {fmt}"
    if fmt == "pth":
        tree.save_pth(model, args.out, arch, meta)
    elif fmt == "safetensors":
        write_safetensors(tree.public_state(model, arch), args.out,
                          {"arch": arch, "epoch": meta["epoch"], "accuracy": recorded_accuracy(meta["metrics"]),
                           "source": meta["source"], "format": "pt"})
    else:
        shape = tree.image_shape(run_config(checkpoint))
        note = "; " + write_onnx(model, args.out, shape)
    return model, arch, meta, f"{fmt} ({tree.layout if fmt == 'pth' else 'public key names'}){note}"


def export_main(argv: list[str] | None, tree: ExportTree) -> int:
    """Parse, load, write, optionally upload, report; bad input -> one error line, exit 2."""
    args = parse_args(argv, tree.layout)
    try:
        model, arch, meta, what = write_export(args, tree)
        accuracy = recorded_accuracy(meta["metrics"], args.readout)
        url = push_to_hub(args.push_to_hub, args.out, {"architecture": arch, "read-out": args.readout,
                                                       "recorded top-1 (%)": accuracy, "epoch": meta["epoch"]}) \
            if args.push_to_hub else None
    except (ExportError, FormatError, HubError, StateDictMismatch, UnreadableCheckpoint, FileNotFoundError,
            KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    recorded = f"; the run recorded top-1 {accuracy:.2f} % for it" if accuracy is not None else ""
    print(f"wrote {args.out}: {arch} student ({sum(p.numel() for p in model.parameters())} parameters) from "
          f"{meta['source']}, {what}{recorded}" + (f"; uploaded to {url}" if url else ""))
    return 0
