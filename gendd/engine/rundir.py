"""Run folders: one configuration per folder, never silently mixed or overwritten.

``prepare_run_dir`` is called by every script before training:

* a new or empty folder gets ``config.yaml`` and training starts;
* a folder holding a run of the *same* configuration (the same command again) resumes
  from its newest checkpoint;
* a folder holding a run of a *different* configuration is refused with the differing
  flags listed, unless ``mode="resume"`` (continue anyway, the new flags win) or
  ``mode="overwrite"`` (the old run is deleted first).

``config.yaml`` is written atomically (every rank may read it while rank 0 writes) and
only when it changes, so a refused or failed start leaves the folder as it was.
"""
from __future__ import annotations

import os
import shutil

import yaml

from .checkpoint import atomic_write_text

# Flags that change how a run executes but not what it computes.
RUNTIME_KEYS = frozenset({"resume_mode", "num_workers", "device", "save_every_steps", "keep_last",
                          "log_every", "skip_teacher_eval", "dry_run", "debug"})


class RunDirConflict(RuntimeError):
    pass


def config_differences(old: dict, new: dict, ignore=RUNTIME_KEYS) -> list[str]:
    keys = (set(old) | set(new)) - set(ignore)
    return [f"{k}: {old.get(k, '<absent>')!r} -> {new.get(k, '<absent>')!r}"
            for k in sorted(keys) if old.get(k, "<absent>") != new.get(k, "<absent>")]


def prepare_run_dir(run_dir: str, config: dict, mode: str = "auto", is_main: bool = True) -> bool:
    """Returns True when the folder already held this run (the caller resumes from it)."""
    if mode not in ("auto", "resume", "overwrite"):
        raise ValueError(f"unknown run-dir mode {mode!r}")
    cfg_path = os.path.join(run_dir, "config.yaml")
    existed = os.path.isfile(cfg_path)
    if existed and mode == "overwrite":
        if is_main:
            shutil.rmtree(run_dir)
        existed = False
    elif existed:
        with open(cfg_path) as fh:
            old = yaml.safe_load(fh) or {}
        diffs = config_differences(old, config)
        if diffs and mode == "auto":
            raise RunDirConflict(
                f"{run_dir!r} holds a run of a different configuration:\n  " + "\n  ".join(diffs) +
                "\nRefusing to mix runs. Pass --resume_mode resume to continue it with the new flags, "
                "--resume_mode overwrite to delete it and start again, or choose another --trial/--save_dir.")
    text = yaml.safe_dump(config, sort_keys=True)
    if is_main and not (existed and _read(cfg_path) == text):
        atomic_write_text(text, cfg_path)
    return existed


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()
