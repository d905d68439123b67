"""Rank-0 logging: console + ``log.txt``, ``metrics.jsonl``, TensorBoard, progress (a tqdm bar on
a terminal, plain lines in a file or a scheduler's log: ``progress.py``), and optionally
Weights & Biases (``wandb_config``: the run's configuration; wandb is imported only then, it is
no required dependency).

(``config.yaml`` is not written here: ``rundir.prepare_run_dir`` writes it when a run claims its folder.)

Every rank may call every method; only the main rank writes or prints.

A row of ``log.txt`` or ``metrics.jsonl`` is appended whole or not at all: a write that fails
(a full disk) is cut back to the previous row and raises ``LogWriteError`` (exit 74, like a
checkpoint that cannot be written); a torn last row left by a kill is removed when the run
starts again. ``read_metrics`` (for the report scripts) skips rows that do not parse.
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
import zlib

from tqdm import tqdm

from .progress import progress_meter


METRICS = "metrics.jsonl"


class LogWriteError(OSError):
    """A log row could not be written (full disk, no permission); the file ends at its last whole row."""


def append_row(path: str, line: str) -> None:
    """Append one ``line`` (ending in a newline) to ``path``, or nothing: a failed write is cut
    back to the file's previous end and raises ``LogWriteError``."""
    with open(path, "ab", buffering=0) as fh:
        start = fh.tell()
        data = line.encode()
        try:
            written = 0
            while written < len(data):
                written += fh.write(data[written:])
        except OSError as err:
            fh.truncate(start)
            raise LogWriteError(f"could not append to {path!r} ({err.strerror}); it ends at its last whole row. "
                                f"Free disk space or choose another --save_dir, then run the same command "
                                f"again") from err


def remove_torn_row(path: str) -> bool:
    """Cut a last row without its newline (a write that was killed) off ``path``; True when one was."""
    if not os.path.isfile(path):
        return False
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 1))
        if size == 0 or fh.read(1) == b"\n":
            return False
        fh.seek(0)
        fh.truncate(fh.read().rfind(b"\n") + 1)
    return True


def read_metrics(run_dir: str) -> list[dict]:
    """The rows of ``<run_dir>/metrics.jsonl`` that parse (a row cut short by a full disk or a kill is skipped)."""
    rows = []
    with open(os.path.join(run_dir, METRICS)) as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


class RunLogger:
    def __init__(self, run_dir: str, enabled: bool = True, tensorboard: bool = True, wandb_config: dict | None = None):
        self.run_dir, self.enabled = run_dir, enabled
        self._tb = None
        self._use_tb = tensorboard
        self._wandb = None
        if enabled:
            os.makedirs(run_dir, exist_ok=True)
            for name in ("log.txt", METRICS):
                if remove_torn_row(os.path.join(run_dir, name)):
                    self.info(f"removed a torn last row of {name} (left by a write that was interrupted)")
            if wandb_config is not None:
                self._wandb = start_wandb(run_dir, wandb_config)

    def info(self, msg: str) -> None:
        if not self.enabled:
            return
        line = f"[{time.strftime('%Y-%m-%d %H-%M-%S')}] {msg}"
        tqdm.write(line, file=sys.stdout)
        append_row(os.path.join(self.run_dir, "log.txt"), line + "\n")

    def metrics(self, step: int, values: dict, prefix: str = "") -> None:
        """One JSON line {"step", "time", prefix/name: value...} and one TensorBoard scalar each."""
        if not self.enabled:
            return
        row = {"step": step, "time": round(time.time(), 3)}
        row.update({f"{prefix}{k}": _plain(v) for k, v in values.items()})
        append_row(os.path.join(self.run_dir, METRICS), json.dumps(row) + "\n")
        tb = self._writer()
        if tb is not None:
            for key, value in row.items():
                if key not in ("step", "time") and isinstance(value, (int, float)):
                    tb.add_scalar(key, value, step)
        if self._wandb is not None:
            self._wandb.log({k: v for k, v in row.items() if k not in ("step", "time")}, step=step)

    def progress(self, total: int, desc: str, initial: int = 0):
        """A tqdm bar when stdout is a terminal; otherwise one plain line every 5 % and at the end."""
        return progress_meter(total, desc, initial, enabled=self.enabled, stream=sys.stdout)

    def _writer(self):
        if self._tb is None and self._use_tb:
            from torch.utils.tensorboard import SummaryWriter
            self._tb = SummaryWriter(log_dir=os.path.join(self.run_dir, "tensorboard"))
        return self._tb

    def close(self) -> None:
        if self._tb is not None:
            self._tb.flush()
            self._tb.close()
            self._tb = None
        if self._wandb is not None:
            self._wandb.finish()
            self._wandb = None


def wandb_available() -> bool:
    return importlib.util.find_spec("wandb") is not None


def start_wandb(run_dir: str, config: dict):
    """A wandb run named after the run folder; its id is fixed by the folder, so a resumed run
    continues the same wandb run. Project: $WANDB_PROJECT, default 'gendd'."""
    import wandb
    run_id = f"gendd-{zlib.crc32(os.path.abspath(run_dir).encode()):08x}"
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "gendd"), name=os.path.basename(run_dir),
                      id=run_id, resume="allow", dir=run_dir, config=config)


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6)
    return value
