"""The CIFAR GenDD recipe's time (stage 1 + stage 2 + its evaluations) extrapolated from one measured
epoch of each stage.

    python bench/recipe_time.py --save_dir <SAVE_DIR of an EPOCHS=1 launcher run> --launcher <sh/train_*_gendd.sh>
                                [--eval_costs eval_cost.json] [--out table.md] [--json out.json]

For each stage's run folder (the one ``metrics.jsonl`` under student_pretrain*/ and under
student_gendd/) it reads the epoch's training seconds (``train_epoch/epoch_seconds``) and the
evaluation seconds (from log.txt: the "epoch 1:" line to the "eval epoch 1:" line). Stage 1:
the launcher's PRE_EPOCHS × (training + evaluation). Stage 2: GENDD_EPOCHS × training, plus its
evaluations: with ``--eval_costs`` (bench/eval_cost.py's JSON) the minutes of each evaluation
plan it lists (cheap: the launchers' default; original: the sampled path every epoch), else
GENDD_EPOCHS × the measured evaluation (one run's single epoch is its last: the final setting).
The first epoch holds the warm-up and the graph capture, so the figures are upper estimates.
"""
from __future__ import annotations

import argparse
import json
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
    match = re.search(rf"^{name}=\$\{{{name}:-(\d+)\}}|^{name}=(\d+)", launcher.read_text(), re.M)
    if not match:
        fail(f"{launcher} sets no {name}=<epochs>: name a GenDD pair launcher (GenDD_cifar/sh/train_*_gendd.sh)")
    return int(match.group(1) or match.group(2))


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


def extrapolate(save_dir: Path, launcher: Path, eval_costs: dict | None) -> dict:
    """{stage: {epochs, train_s, eval_s}} and the recipe's minutes per evaluation plan."""
    stages = {}
    for stage, variable, pattern in STAGES:
        runs = sorted(save_dir.glob(f"{pattern}/*/metrics.jsonl"))
        if not runs:
            fail(f"no {stage} run folder ({pattern}/*/metrics.jsonl) under {save_dir}: give the SAVE_DIR "
                 f"of an EPOCHS=1 run of the launcher")
        train, evaluation = stage_seconds(runs[0].parent)
        stages[stage] = {"epochs": launcher_epochs(launcher, variable), "train_s": train, "eval_s": evaluation}
    s1, s2 = stages["stage 1"], stages["stage 2"]
    base = (s1["epochs"] * (s1["train_s"] + s1["eval_s"]) + s2["epochs"] * s2["train_s"]) / 60
    plans = ({name: plan["minutes"] for name, plan in eval_costs["plans"].items()} if eval_costs
             else {"measured evaluation every epoch": s2["epochs"] * s2["eval_s"] / 60})
    return {"stages": stages, "training_minutes": base,
            "recipe_minutes": {name: base + minutes for name, minutes in plans.items()},
            "evaluation_minutes": plans}


def table(result: dict) -> str:
    lines = ["| stage | epochs | train s/epoch | eval s (measured epoch) | training minutes |", "|---|---|---|---|---|"]
    for stage, s in result["stages"].items():
        minutes = s["epochs"] * (s["train_s"] + (s["eval_s"] if stage == "stage 1" else 0)) / 60
        lines.append(f"| {stage} | {s['epochs']} | {s['train_s']:.1f} | {s['eval_s']:.0f} | {minutes:.1f} |")
    for plan, minutes in result["recipe_minutes"].items():
        lines.append(f"| whole recipe, stage-2 evaluations: {plan} ({result['evaluation_minutes'][plan]:.1f} min) "
                     f"| | | | {minutes:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--save_dir", required=True)
    p.add_argument("--launcher", required=True)
    p.add_argument("--eval_costs", default=None, help="bench/eval_cost.py's JSON (evaluation minutes per plan)")
    p.add_argument("--out", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    costs = None
    if args.eval_costs:
        try:
            costs = json.loads(Path(args.eval_costs).read_text())
        except (OSError, ValueError) as err:
            fail(f"--eval_costs {args.eval_costs!r} is not bench/eval_cost.py's JSON ({err}): run it first or leave "
                 f"the flag out")
    result = extrapolate(Path(args.save_dir), Path(args.launcher), costs)
    text = table(result)
    print(text, end="")
    if args.out:
        Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
