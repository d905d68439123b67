"""Run a training script in a real process with faults injected at Python boundaries.

    GENDD_FAULTS='{"kill_in_write": ["step_", 2]}' python tests/helpers/fault_runner.py SCRIPT ARGS...

The script runs unchanged (``runpy``, as ``__main__``) with the user's command line; the
faults, chosen by the JSON object in ``GENDD_FAULTS``, are (n counts from 1 in this process,
``pattern`` is a substring of the file name being written):

* ``kill_in_write: [pattern, n]`` — SIGKILL half-way through the n-th such checkpoint write
  (half of the serialised bytes are in the temporary file, flushed and synced);
* ``kill_before_rename: [pattern, n]`` — SIGKILL once the n-th such file is complete under its
  temporary name, before it is renamed into place;
* ``kill_before_prune: n`` — SIGKILL just before the n-th removal of an old checkpoint;
* ``disk_full_in_write: [pattern, n]`` — the n-th such write fails half-way with ENOSPC;
* ``pause_in_write: seconds`` — every checkpoint write stops that long half-way (half of the
  bytes in the temporary file, flushed), then completes: a window in which to kill it;
* ``disk_full_in_log: [pattern, n]`` — the n-th append to such a log file (``log.txt``,
  ``metrics.jsonl``) writes half of its bytes, then fails with ENOSPC;
* ``die_after_report: code`` — once the script has reported its exit code to the launcher's agent
  (``gendd.engine.signals.report_exit``), the process ends with ``code`` instead (as when leaving
  the process group fails after a checkpoint was saved);
* ``hold_final_test: marker`` — the CIFAR scripts' final test (after training) first creates the
  file ``marker``, then waits up to 120 s (for the test to signal the process);
* ``nan_steps: [s, ...]`` — the images of global steps s (1-based, as the data source counts
  them) are all NaN;
* ``drop_steps: [s, ...]`` — those batches are left out altogether;
* ``slow_batches: seconds`` — each batch comes that much later, so that a test's kill lands at
  the step it aims for on a machine of any speed.
"""
from __future__ import annotations

import errno
import io
import json
import os
import runpy
import signal
import sys
import time

import torch

import gendd.engine.checkpoint as checkpoint
import gendd.engine.trainer as trainer
from gendd.engine.data import DatasetSource

FAULTS = json.loads(os.environ.get("GENDD_FAULTS", "{}"))
_writing = {"path": None}
_counts: dict[str, int] = {}


def _nth(kind: str, name: str) -> bool:
    """True when ``name`` is the n-th file matching the pattern of fault ``kind``."""
    if kind not in FAULTS:
        return False
    pattern, n = FAULTS[kind]
    if pattern not in os.path.basename(name):
        return False
    _counts[kind] = _counts.get(kind, 0) + 1
    return _counts[kind] == n


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _patch_writes() -> None:
    real_atomic_save, real_save, real_replace, real_remove = checkpoint.atomic_save, torch.save, os.replace, os.remove

    def atomic_save(obj, path):
        _writing["path"] = path
        try:
            real_atomic_save(obj, path)
        finally:
            _writing["path"] = None

    def save(obj, f, *args, **kwargs):
        target = _writing["path"]
        if target is None:
            return real_save(obj, f, *args, **kwargs)
        kill, full = _nth("kill_in_write", target), _nth("disk_full_in_write", target)
        pause = FAULTS.get("pause_in_write", 0)
        if not (kill or full or pause):
            return real_save(obj, f, *args, **kwargs)
        buf = io.BytesIO()
        real_save(obj, buf, *args, **kwargs)
        data = buf.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        if kill:
            _die()
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        time.sleep(pause)
        f.write(data[len(data) // 2:])

    def replace(src, dst, *args, **kwargs):
        if _writing["path"] is not None and _nth("kill_before_rename", os.fspath(dst)):
            _die()
        return real_replace(src, dst, *args, **kwargs)

    def remove(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)).startswith("step_") and "kill_before_prune" in FAULTS:
            _counts["prune"] = _counts.get("prune", 0) + 1
            if _counts["prune"] == FAULTS["kill_before_prune"]:
                _die()
        return real_remove(path, *args, **kwargs)

    checkpoint.atomic_save = trainer.atomic_save = atomic_save
    torch.save, os.replace, os.remove = save, replace, remove


class _FullAfterHalf:
    """A file object whose next write stores half of its bytes, then fails as a full disk does."""

    def __init__(self, fh):
        self._fh = fh

    def write(self, data):
        self._fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def _patch_logs() -> None:
    import gendd.engine.logger as logger

    def faulty_open(path, mode="r", *args, **kwargs):
        fh = open(path, mode, *args, **kwargs)
        return _FullAfterHalf(fh) if "a" in mode and _nth("disk_full_in_log", os.fspath(path)) else fh

    logger.open = faulty_open


def _patch_exit_report() -> None:
    if "die_after_report" not in FAULTS:
        return
    import gendd.cli.guard as guard
    real_report = guard.report_exit

    def report_exit(code):
        real_report(code)
        sys.stderr.flush()
        os._exit(FAULTS["die_after_report"])

    guard.report_exit = report_exit


def _patch_final_test() -> None:
    if "hold_final_test" not in FAULTS:
        return
    import gendd_cifar.evaluation as evaluation
    real_final_test = evaluation.final_test

    def final_test(*args, **kwargs):
        with open(FAULTS["hold_final_test"], "w"):
            pass
        for _ in range(1200):
            time.sleep(0.1)
        return real_final_test(*args, **kwargs)

    evaluation.final_test = final_test


def _patch_data() -> None:
    nan, drop = set(FAULTS.get("nan_steps", ())), set(FAULTS.get("drop_steps", ()))
    delay = FAULTS.get("slow_batches", 0)
    real_batches = DatasetSource.batches

    def batches(self, epoch, start_step=0):
        for i, (images, labels) in enumerate(real_batches(self, epoch, start_step), start=start_step):
            step = (epoch - 1) * self.steps_per_epoch + i + 1
            if step in drop:
                continue
            time.sleep(delay)
            yield (torch.full_like(images, float("nan")) if step in nan else images), labels

    DatasetSource.batches = batches


def main() -> None:
    script, *args = sys.argv[1:]
    _patch_writes()
    _patch_data()
    _patch_logs()
    _patch_exit_report()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    _patch_final_test()
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
