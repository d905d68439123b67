"""Run folders: one configuration per folder, never silently mixed or overwritten.

``prepare_run_dir`` is called by every script before training:

* a new or empty folder gets ``config.yaml`` and training starts;
* a folder holding a run of the *same* configuration (the same command again) resumes
  from its newest checkpoint;
* a folder holding a run of a *different* configuration is refused with the differing
  flags listed, unless ``mode="resume"`` (continue anyway, the new flags win) or
  ``mode="overwrite"`` (the old run is deleted first);
* another world size or global batch (see ``layout``) is refused in ``resume`` mode too once the
  folder holds a checkpoint; before that, the world size is free (a dry run on one process
  followed by the real run on eight is the same run).

``config.yaml`` is written atomically (every rank may read it while rank 0 writes) and
only when it changes, so a refused or failed start leaves the folder as it was. Under
``mode="resume"`` a changed configuration is written only once the run's checkpoint has been
loaded into the new model (``commit_config``, called by the trainer): a model that does not fit
the checkpoint leaves ``config.yaml`` as it was.
"""
from __future__ import annotations

import os
import shutil

import yaml

from .checkpoint import atomic_write_text
from .layout import PROCESS_KEYS, layout_change

# Flags that change how a run executes but not what it computes.
RUNTIME_KEYS = frozenset({"resume_mode", "num_workers", "device", "save_every_steps", "keep_last",
                          "log_every", "skip_teacher_eval", "dry_run", "debug", "wandb", "config"})
# (flag, value recorded by an older version) -> today's spelling of the same setting
RENAMED_VALUES = {("amp", True): "bf16"}


_PENDING: dict[str, str] = {}   # run folder -> config.yaml text waiting for a successful resume


class RunDirConflict(RuntimeError):
    pass


def config_differences(old: dict, new: dict, ignore=RUNTIME_KEYS) -> list[str]:
    old = {k: RENAMED_VALUES.get((k, v), v) if isinstance(v, bool) else v for k, v in old.items()}
    keys = (set(old) | set(new)) - set(ignore)
    return [f"{k}: {old.get(k, '<absent>')!r} -> {new.get(k, '<absent>')!r}"
            for k in sorted(keys) if old.get(k, "<absent>") != new.get(k, "<absent>")]


def prepare_run_dir(run_dir: str, config: dict, mode: str = "auto", is_main: bool = True) -> bool:
    """Returns True when the folder already held this run (the caller resumes from it)."""
    if mode not in ("auto", "resume", "overwrite"):
        raise ValueError(f"unknown run-dir mode {mode!r}")
    cfg_path = os.path.join(run_dir, "config.yaml")
    existed = os.path.isfile(cfg_path)
    diffs: list[str] = []
    if existed and mode == "overwrite":
        if is_main:
            _empty(run_dir)
        existed = False
    elif existed:
        old = _read_config(cfg_path)
        check_layout(run_dir, old, config)
        diffs = config_differences(old, config, RUNTIME_KEYS | PROCESS_KEYS)
        if diffs and mode == "auto":
            raise RunDirConflict(
                f"{run_dir!r} holds a run of a different configuration:\n  " + "\n  ".join(diffs) +
                "\nRefusing to mix runs. Pass --resume_mode resume to continue it with the new flags, "
                "--resume_mode overwrite to delete it and start again, or choose another --trial/--save_dir.")
    text = yaml.safe_dump(config, sort_keys=True)
    if diffs:   # mode "resume": written by commit_config once the checkpoint fits the model
        _PENDING[os.path.abspath(run_dir)] = text
    elif is_main and not (existed and _read(cfg_path) == text):
        atomic_write_text(text, cfg_path)
    return existed


def commit_config(run_dir: str, is_main: bool = True) -> None:
    """Write the configuration ``prepare_run_dir`` held back under ``mode="resume"``, if any."""
    text = _PENDING.pop(os.path.abspath(run_dir), None)
    if text is not None and is_main:
        atomic_write_text(text, os.path.join(run_dir, "config.yaml"))


def _empty(run_dir: str, keep: str = ".lock") -> None:
    """Delete everything in ``run_dir`` except the lock this process holds (see ``gendd.engine.lock``)."""
    for name in os.listdir(run_dir):
        path = os.path.join(run_dir, name)
        if name == keep:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def _read_config(path: str) -> dict:
    """The run's recorded configuration; ``RunDirConflict`` when config.yaml is damaged."""
    try:
        old = yaml.safe_load(_read(path))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        problem = f"is not valid YAML ({str(err).splitlines()[0]})"
    else:
        if old is None or isinstance(old, dict):
            return old or {}
        problem = f"holds a {type(old).__name__}, not the flags of a run"
    raise RunDirConflict(f"{path!r} {problem}: the run folder's record is damaged. Restore it, pass "
                         f"--resume_mode overwrite to delete the run and start again, or choose another "
                         f"--trial/--save_dir")


def check_layout(run_dir: str, old: dict, new: dict) -> None:
    """Refuse to resume a checkpoint under another world size or global batch (``layout.layout_change``)."""
    why = layout_change(old, new)
    if why and has_progress(run_dir):
        raise RunDirConflict(f"cannot resume {run_dir!r}: {why}")


def has_progress(run_dir: str) -> bool:
    """The folder holds a checkpoint or a final.pth (a killed write's temporary file is none)."""
    folder = os.path.join(run_dir, "checkpoints")
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return os.path.isfile(os.path.join(run_dir, "final.pth")) or any(not n.startswith(".tmp") for n in names)


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()
