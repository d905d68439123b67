"""GenDD's sampled read-out in one file: the student, the projector, the diffusion head, the
teacher's classifier (W_t, b_t) and class centres, the distiller's settings and the run's
sampling settings; ``load_readout`` rebuilds the distiller, whose eval forward gives the run's
logits {"sampled": W_t·f̂ + b_t, "probe": student.fc(f_s)} (the same numbers as the run's own
evaluation under the same random state, e.g. after ``torch.manual_seed``).

A ``.pth`` file holds ``{"format": READOUT_FORMAT, "arch", "teacher_fc": [C, Dt], "gendd": the
constructor's keywords, "sampling": the sampling settings, "state": the distiller's state_dict,
"epoch", "metrics", "source"}`` and loads with ``torch.load(..., weights_only=True)``; a
``.safetensors`` file holds the state_dict as tensors and the rest as JSON in its metadata
entry ``gendd_readout``.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import torch
from torch import nn

from .distillers import get as get_method
from .distillers.gendd import GenDD, SamplingSettings
from .state_dicts import load_state_dict_strict

READOUT_FORMAT = "gendd-sampled-readout/1"
RUNTIME_ONLY = ("compile", "grad_checkpoint")   # GenDD keywords that change speed, not the logits
SAMPLING_FLAGS = {"num_sampling": "num_sampling", "sampling_steps": "steps", "cfg_scale": "cfg_scale",
                  "sampler": "sampler", "temperature": "temperature", "eta": "eta"}   # flag -> SamplingSettings


def readout_settings(config: dict) -> tuple[dict, dict]:
    """(GenDD's constructor keywords, the sampling settings) from a run's config.yaml values (flags
    it lacks take their defaults)."""
    method = get_method("gendd")
    defaults = method.defaults()
    gendd = {f.keyword: config.get(f.name, defaults[f.name]) for f in method.flags if f.name not in RUNTIME_ONLY}
    gendd["fast"] = not config.get("reference_mode", False)
    sampling = dataclasses.asdict(SamplingSettings())
    sampling.update({field: config[flag] for flag, field in SAMPLING_FLAGS.items() if flag in config})
    return gendd, sampling


def readout_payload(state: dict[str, torch.Tensor], arch: str, config: dict, meta: dict) -> dict:
    """What a read-out file holds (see the module doc); ``state`` is the run's distiller state_dict."""
    if "teacher_fc.weight" not in state or not any(k.startswith("head.") for k in state):
        raise ValueError("this checkpoint holds no GenDD diffusion head and teacher classifier (teacher_fc): "
                         "--readout sampled needs a GenDD stage-2 run; export its student with --readout probe")
    gendd, sampling = readout_settings(config)
    metrics = {k: float(v) for k, v in (meta.get("metrics") or {}).items() if isinstance(v, (int, float))}
    return {"format": READOUT_FORMAT, "arch": arch, "teacher_fc": list(state["teacher_fc.weight"].shape),
            "gendd": gendd, "sampling": sampling, "epoch": meta.get("epoch"), "metrics": metrics,
            "source": meta.get("source"), "state": {k: v.detach().cpu() for k, v in state.items()}}


def save_readout(payload: dict, out: str, fmt: str) -> None:
    from .export_formats import write_atomically, write_safetensors
    if fmt == "safetensors":
        info = {k: v for k, v in payload.items() if k != "state"}
        write_safetensors(payload["state"], out, {"gendd_readout": json.dumps(info)})
    elif fmt == "pth":
        write_atomically(out, lambda tmp: torch.save(payload, tmp))
    else:
        raise ValueError(f"the sampled read-out runs a sampling loop with random draws and is written as pth or "
                         f"safetensors, not {fmt}: export the probe (--readout probe) to {fmt}")


def read_readout(path: str) -> dict:
    """The payload of a read-out file (either format); ValueError when it is none."""
    if path.endswith(".safetensors"):
        from safetensors import safe_open
        from safetensors.torch import load_file
        with safe_open(path, framework="pt") as fh:
            info = json.loads((fh.metadata() or {}).get("gendd_readout", "{}"))
        payload = dict(info, state=load_file(path))
    else:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != READOUT_FORMAT:
        raise ValueError(f"{path!r} is not a GenDD sampled read-out (export_student.py --readout sampled writes one)")
    return payload


def load_readout(path: str, build_student: Callable[[str, int], nn.Module],
                 sampling: SamplingSettings | None = None) -> GenDD:
    """The run's GenDD in eval mode: ``model(images)`` -> {"sampled", "probe"} logits. ``build_student``
    makes the plain architecture (e.g. ``gendd_cifar.models.build_model``); ``sampling`` replaces the
    run's sampling settings (e.g. ``SamplingSettings(num_sampling=5)`` after a probe-only run)."""
    payload = read_readout(path)
    state = payload["state"]
    student = build_student(payload["arch"], state["student.fc.weight"].shape[0])
    distiller = GenDD(student, teacher_fc=tuple(payload["teacher_fc"]), **payload["gendd"],
                      sampling=sampling or SamplingSettings(**payload["sampling"]))
    load_state_dict_strict(distiller, state, what=f"the GenDD read-out {path!r}")
    return distiller.eval()
