"""Reading finished run folders for the real-data reports (evidence, budget curve, payoff): a run's
summary, training seconds and steps, the teacher's line, mean ± std formatting, and writing a
report's table (atomically) and figure."""
from __future__ import annotations

import glob
import json
import os
import statistics

import yaml

from gendd.engine.checkpoint import atomic_write_text
from gendd.engine.logger import read_metrics


def load(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def finished(run: str) -> bool:
    return os.path.isfile(os.path.join(run, "summary.json"))


def train_seconds(run: str) -> float:
    """Sum of the per-epoch training seconds the run logged (evaluation excluded)."""
    return sum(row.get("train_epoch/epoch_seconds", 0.0) for row in read_metrics(run))


def run_cost(*runs: str) -> dict:
    """Epochs, optimiser steps and training seconds of one or more stages run one after another."""
    summaries = [load(os.path.join(r, "summary.json")) for r in runs]
    return {"epochs": sum(s["last_epoch"] for s in summaries), "steps": sum(s["global_step"] for s in summaries),
            "seconds": sum(train_seconds(r) for r in runs)}


def fmt(xs) -> str:
    """'m ± s' over seeds (sample standard deviation), the value alone for one, '–' for none."""
    if not xs:
        return "–"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}" if len(xs) > 1 else f"{xs[0]:.2f}"


def teacher_line(save_dir: str) -> str:
    found = glob.glob(os.path.join(save_dir, "models", "*_trial_teacher"))
    if not found:
        return "teacher: not found"
    s = load(os.path.join(found[0], "summary.json"))
    with open(os.path.join(found[0], "config.yaml")) as fh:
        cfg = yaml.safe_load(fh)
    images = f"{cfg['train_subset']:,}" if cfg.get("train_subset") else "all 60,000"
    return (f"Teacher ({cfg['model']}, {images} training images, {s['last_epoch']} epochs): "
            f"**{s['last']['top1']:.2f} %** test top-1.")


def write_table(text: str, path: str) -> None:
    """The report's markdown at ``path`` (its folder made), whole or not at all."""
    atomic_write_text(text, path)


def save_figure(fig, path: str) -> None:
    """The figure at ``path`` (its folder made), laid out tightly at 120 dpi."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
