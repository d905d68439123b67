"""The CIFAR GenDD recipe's time (stage 1 + stage 2) extrapolated from one measured epoch of each stage.

    python bench/recipe_time.py --save_dir <SAVE_DIR of an EPOCHS=1 launcher run> --launcher <sh/train_*_gendd.sh>

For each stage's run folder (the one ``metrics.jsonl`` under student_pretrain*/ and under
student_gendd/) it reads the epoch's training seconds (``train_epoch/epoch_seconds``) and the
evaluation seconds (from log.txt: the "epoch 1:" line to the "eval epoch 1:" line), and
multiplies their sum by the launcher's epochs (PRE_EPOCHS, GENDD_EPOCHS). The first epoch holds
the warm-up and the graph capture, so the figure is an upper estimate of the steady state.
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from gendd.engine.logger import read_metrics

def fail(message: str):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


STAGES = (("stage 1", "PRE_EPOCHS", "student_pretrain*"), ("stage 2", "GENDD_EPOCHS", "student_gendd"))


def launcher_epochs(launcher: Path, name: str) -> int:
    match = re.search(rf"^{name}=(\d+)", launcher.read_text(), re.M)
    if not match:
        fail(f"{launcher} sets no {name}=<epochs>: name a GenDD pair launcher (GenDD_cifar/sh/train_*_gendd.sh)")
    return int(match.group(1))


def stamp(line: str) -> datetime:
    return datetime.strptime(line[1:20], "%Y-%m-%d %H-%M-%S")


def stage_seconds(run: Path) -> tuple[float, float]:
    """(training seconds, evaluation seconds) of the run's first epoch."""
    rows = read_metrics(str(run))
    train = next(r["train_epoch/epoch_seconds"] for r in rows if "train_epoch/epoch_seconds" in r)
    lines = (run / "log.txt").read_text().splitlines()
    ended = next(stamp(l) for l in lines if re.search(r"\] epoch 1: ", l))
    evaluated = next((stamp(l) for l in lines if "] eval epoch 1:" in l), ended)
    return train, (evaluated - ended).total_seconds()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--save_dir", required=True)
    p.add_argument("--launcher", required=True)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    lines = ["| stage | epochs | train s/epoch | eval s/epoch | extrapolated minutes |", "|---|---|---|---|---|"]
    total = 0.0
    for stage, variable, pattern in STAGES:
        runs = sorted(Path(args.save_dir).glob(f"{pattern}/*/metrics.jsonl"))
        if not runs:
            fail(f"no {stage} run folder ({pattern}/*/metrics.jsonl) under {args.save_dir}: give the SAVE_DIR "
                 f"of an EPOCHS=1 run of the launcher")
        epochs = launcher_epochs(Path(args.launcher), variable)
        train, evaluation = stage_seconds(runs[0].parent)
        total += epochs * (train + evaluation)
        minutes = epochs * (train + evaluation) / 60
        lines.append(f"| {stage} | {epochs} | {train:.1f} | {evaluation:.0f} | {minutes:.1f} |")
    lines.append(f"| whole recipe | | | | {total / 60:.1f} |")
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
