"""Run folders: one configuration per folder, never silently mixed or overwritten.

``prepare_run_dir`` is called by every script before training:

* a new or empty folder gets ``config.yaml`` and training starts;
* a folder holding a run of the *same* configuration (the same command again) resumes
  from its newest checkpoint;
* a folder holding a run of a *different* configuration is refused with the differing
  flags listed, unless ``mode="resume"`` (continue anyway, the new flags win) or
  ``mode="overwrite"`` (the old run is deleted first);
* a folder whose run never got as far as a checkpoint (it failed or was stopped before its first
  one, e.g. on a value it could not use) holds nothing to protect: another configuration takes
  it over in every mode. The earlier attempt's files are removed except ``log.txt``, which
  keeps its record, and ``take_note`` returns the line saying so for the run's log;
* another world size or global batch (see ``layout``) is refused in ``resume`` mode too once the
  folder holds a checkpoint; before that, the world size is free (a dry run on one process
  followed by the real run on eight is the same run), and so it is when the run's newest
  checkpoint ends an epoch and only the world size changes (a finished run extended by more
  epochs under another process count: no sample is skipped or seen twice, and the steps per
  epoch, so the schedules, stay those of the global batch).

``config.yaml`` is written atomically (every rank may read it while rank 0 writes) and
only when it changes, so a refused or failed start leaves the folder as it was. Under
``mode="resume"`` a changed configuration is written only once the run's checkpoint has been
loaded into the new model (``commit_config``, called by the trainer): a model that does not fit
the checkpoint leaves ``config.yaml`` as it was.
"""
from __future__ import annotations

import os
import shutil

import torch
import yaml

from .checkpoint import CheckpointManager, atomic_write_text
from .layout import PROCESS_KEYS, layout_change

# Flags that change how a run executes but not what it computes (--device and --cuda_graph change
# which random stream a draw comes from, not its distribution).
RUNTIME_KEYS = frozenset({"resume_mode", "num_workers", "device", "save_every_steps", "keep_last",
                          "log_every", "skip_teacher_eval", "dry_run", "debug", "wandb", "cuda_graph",
                          "config"})
# (flag, value recorded by an older version) -> today's spelling of the same setting
RENAMED_VALUES = {("amp", True): "bf16"}


_PENDING: dict[str, str] = {}   # run folder -> config.yaml text waiting for a successful resume
_NOTES: dict[str, str] = {}     # run folder -> what prepare_run_dir did that the run's log should say


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
        if diffs and not has_progress(run_dir):
            _take_over(run_dir, diffs, is_main)
            diffs, existed = [], False
        elif diffs and mode == "auto":
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


def _take_over(run_dir: str, diffs: list[str], is_main: bool) -> None:
    """Clear a folder whose earlier attempt, of another configuration, left no checkpoint."""
    if is_main:   # config.yaml is replaced atomically below: other ranks may be reading it
        _empty(run_dir, keep=(".lock", "log.txt", "config.yaml"))
    _NOTES[os.path.abspath(run_dir)] = (
        "the folder held an attempt of another configuration that stopped before its first checkpoint ("
        + "; ".join(diffs) + "): nothing of it was kept but this log; starting with the new configuration")


def take_note(run_dir: str) -> str | None:
    """The line ``prepare_run_dir`` left for the run's log (None when there is none)."""
    return _NOTES.pop(os.path.abspath(run_dir), None)


def commit_config(run_dir: str, is_main: bool = True) -> None:
    """Write the configuration ``prepare_run_dir`` held back under ``mode="resume"``, if any."""
    text = _PENDING.pop(os.path.abspath(run_dir), None)
    if text is not None and is_main:
        atomic_write_text(text, os.path.join(run_dir, "config.yaml"))


def _empty(run_dir: str, keep: tuple[str, ...] = (".lock",)) -> None:
    """Delete everything in ``run_dir`` except ``keep``: the lock this process holds (see
    ``gendd.engine.lock``), and the names given."""
    for name in os.listdir(run_dir):
        path = os.path.join(run_dir, name)
        if name in keep:
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
    """Refuse to resume a checkpoint under another world size or global batch (``layout.layout_change``),
    unless only the world size changes and the newest checkpoint ends an epoch."""
    why = layout_change(old, new)
    if why and has_progress(run_dir) and not (old.get("batch_size") == new.get("batch_size")
                                              and ends_an_epoch(run_dir)):
        raise RunDirConflict(f"cannot resume {run_dir!r}: {why}")


def ends_an_epoch(run_dir: str) -> bool:
    """The newest checkpoint of the run can be read and stands at an epoch boundary (step 0 of
    its epoch). Its tensors are memory-mapped, not read."""
    paths = CheckpointManager(run_dir).paths()
    if not paths:
        return False
    try:
        state = torch.load(paths[-1], map_location="cpu", weights_only=False, mmap=True)
    except Exception:   # unreadable: refuse, as for a checkpoint inside an epoch
        return False
    return isinstance(state, dict) and state.get("step_in_epoch") == 0


def has_progress(run_dir: str) -> bool:
    """The folder holds a checkpoint or a final.pth (a killed write's temporary file is none)."""
    folder = os.path.join(run_dir, "checkpoints")
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return os.path.isfile(os.path.join(run_dir, "final.pth")) or any(not n.startswith(".tmp") for n in names)


def _read(path: str) -> str:
    with open(path) as fh:
        return fh.read()


def run_config_path(checkpoint: str) -> str | None:
    """The config.yaml of the run that wrote ``checkpoint``: beside it (final.pth, best.pth) or,
    for a file under the run's ``checkpoints/``, one folder up; None when there is none."""
    folder = os.path.dirname(os.path.abspath(checkpoint))
    folders = [folder, os.path.dirname(folder)] if os.path.basename(folder) == "checkpoints" else [folder]
    for candidate in (os.path.join(f, "config.yaml") for f in folders):
        if os.path.isfile(candidate):
            return candidate
    return None


def run_config(checkpoint: str) -> dict:
    """The flags recorded by the run that wrote ``checkpoint`` ({} when it has no config.yaml)."""
    path = run_config_path(checkpoint)
    return (yaml.safe_load(_read(path)) or {}) if path else {}
