"""Rank-0 logging: console + ``log.txt``, ``metrics.jsonl``, TensorBoard, progress (a tqdm bar on
a terminal, plain lines in a file or a scheduler's log: ``progress.py``), and optionally
Weights & Biases (``wandb_config``: the run's configuration; wandb is imported only then, it is
no required dependency).

(``config.yaml`` is not written here: ``rundir.prepare_run_dir`` writes it when a run claims its folder.)

Every rank may call every method; only the main rank writes or prints.
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


class RunLogger:
    def __init__(self, run_dir: str, enabled: bool = True, tensorboard: bool = True, wandb_config: dict | None = None):
        self.run_dir, self.enabled = run_dir, enabled
        self._tb = None
        self._use_tb = tensorboard
        self._wandb = None
        if enabled:
            os.makedirs(run_dir, exist_ok=True)
            if wandb_config is not None:
                self._wandb = start_wandb(run_dir, wandb_config)

    def info(self, msg: str) -> None:
        if not self.enabled:
            return
        line = f"[{time.strftime('%Y-%m-%d %H-%M-%S')}] {msg}"
        tqdm.write(line, file=sys.stdout)
        with open(os.path.join(self.run_dir, "log.txt"), "a") as fh:
            fh.write(line + "\n")

    def metrics(self, step: int, values: dict, prefix: str = "") -> None:
        """One JSON line {"step", "time", prefix/name: value...} and one TensorBoard scalar each."""
        if not self.enabled:
            return
        row = {"step": step, "time": round(time.time(), 3)}
        row.update({f"{prefix}{k}": _plain(v) for k, v in values.items()})
        with open(os.path.join(self.run_dir, "metrics.jsonl"), "a") as fh:
            fh.write(json.dumps(row) + "\n")
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
