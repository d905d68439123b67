"""Atomic checkpoints that resume exactly.

``atomic_save`` writes to a temporary file in the target folder, flushes and fsyncs it,
then renames it over the target (and fsyncs the folder): a crash, a kill or a full disk
at any moment leaves either the old file or the new one, never a torn one.
``CheckpointManager`` names checkpoints by global step, keeps the newest ``keep_last``,
finds the newest readable one to resume from (refusing, rather than silently starting
again, when every checkpoint of the run is unreadable) and removes the temporary files a
killed write leaves behind.
"""
from __future__ import annotations

import glob
import os
import re
import tempfile
import warnings

import torch

from ..state_dicts import UnreadableCheckpoint, read_checkpoint

PARTIAL_PREFIX = ".tmp-"


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (full disk, no permission); the previous one is intact."""


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_save(obj: object, path: str) -> None:
    """``torch.save`` that never leaves a partial file at ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=PARTIAL_PREFIX + os.path.basename(path) + "-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError):
            raise CheckpointWriteError(err.errno, f"could not save {path!r} ({err.strerror}); the previous "
                                                  f"checkpoint is untouched. Free disk space or choose another "
                                                  f"--save_dir, then run the same command again") from err
        raise
    _fsync_dir(folder)


def atomic_write_text(text: str, path: str) -> None:
    """Write a small text file atomically (temporary file + rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=PARTIAL_PREFIX + os.path.basename(path) + "-", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from other users
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class CheckpointManager:
    """``<run_dir>/checkpoints/step_<global step>.pth``, the newest ``keep_last`` kept."""

    PATTERN = re.compile(r"step_(\d+)\.pth$")

    def __init__(self, run_dir: str, keep_last: int = 2):
        if keep_last < 1:
            raise ValueError("keep_last must be at least 1")
        self.folder = os.path.join(run_dir, "checkpoints")
        self.keep_last = keep_last

    def paths(self) -> list[str]:
        """Checkpoint files, oldest first."""
        found = []
        for path in glob.glob(os.path.join(self.folder, "step_*.pth")):
            m = self.PATTERN.search(path)
            if m:
                found.append((int(m.group(1)), path))
        return [p for _, p in sorted(found)]

    def save(self, state: dict, global_step: int) -> str:
        path = os.path.join(self.folder, f"step_{global_step:09d}.pth")
        atomic_save(state, path)
        for old in self.paths()[:-self.keep_last]:
            os.remove(old)
        return path

    def latest(self) -> tuple[str, dict] | None:
        """(path, state) of the newest readable checkpoint, None when there is none at all.

        Unreadable newer files are reported and skipped; when files exist but none can be
        read, ``UnreadableCheckpoint`` is raised instead of letting the run start again."""
        paths = self.paths()
        for path in reversed(paths):
            try:
                state = read_checkpoint(path)
            except RuntimeError as err:
                warnings.warn(f"skipping unreadable checkpoint: {err}")
                continue
            if isinstance(state, dict) and "model" in state and "global_step" in state:
                return path, state
            warnings.warn(f"skipping {path!r}: not a training checkpoint of this engine")
        if paths:
            raise UnreadableCheckpoint(
                f"none of the {len(paths)} checkpoint(s) in {self.folder!r} can be read: they are corrupted, "
                f"truncated or not checkpoints of this engine. Move them away to start the run again, or pass "
                f"--resume_mode overwrite to delete the run")
        return None

    def remove_partial(self) -> list[str]:
        """Delete the temporary files of writes that were killed (in the run folder and ``checkpoints/``)."""
        found = []
        for folder in (os.path.dirname(self.folder), self.folder):
            found += glob.glob(os.path.join(glob.escape(folder), PARTIAL_PREFIX + "*"))
        for path in found:
            os.remove(path)
        return found
