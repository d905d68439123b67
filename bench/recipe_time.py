"""The CIFAR GenDD recipe's time (stage 1 + stage 2 + its evaluations) extrapolated from one measured
epoch of each stage.

    python bench/recipe_time.py --save_dir <SAVE_DIR of an EPOCHS=1 launcher run> --launcher <sh/train_*_gendd.sh>
                                [--eval_costs eval_cost.json] [--out table.md] [--json out.json]

For each stage's run folder (the one ``metrics.jsonl`` under student_pretrain*/ and under
student_gendd/) it reads the epoch's training seconds (``train_epoch/epoch_seconds``) and the
evaluation seconds (from log.txt: the "epoch 1:" line to the "eval epoch 1:" line). A stage's
epochs are those its command in the launcher runs (its --epochs, else the script's default). Stage 1:
its epochs × (training + evaluation). Stage 2: its epochs × training, plus its evaluations: with
``--eval_costs`` (bench/eval_cost.py's JSON) the minutes of each evaluation plan it lists (cheap: the
launchers' default; original: the sampled path every epoch), else its epochs × the measured evaluation
(one run's single epoch is its last: the final setting).
The first epoch holds the warm-up and the graph capture, so the figures are upper estimates.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from gendd.engine.logger import read_metrics


def fail(message: str):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


STAGES = (("stage 1", "train_student_pretrain.py", "student_pretrain*"), ("stage 2", "train_student_gendd.py",
                                                                        "student_gendd"))
RECORDER = '#!/usr/bin/env bash\nprintf "%s\\0" "$@" >> "$GENDD_RECORD"\nprintf "\\n\\0" >> "$GENDD_RECORD"\n'


def launcher_epochs(launcher: Path) -> dict[str, int]:
    """{script: epochs} of each command the launcher runs: its --epochs, else the script's default. The
    launcher runs with a stand-in interpreter that only writes its commands down (EPOCHS unset)."""
    with tempfile.TemporaryDirectory() as folder:
        fake, record = Path(folder) / "python", Path(folder) / "commands"
        fake.write_text(RECORDER)
        fake.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k != "EPOCHS"}
        res = subprocess.run(["bash", str(launcher)], env={**env, "PYTHON": str(fake), "GENDD_RECORD": str(record),
                                                           "GPUS": "1", "NNODES": "1"}, capture_output=True, text=True)
        if res.returncode != 0 or not record.exists():
            fail(f"{launcher} did not run ({res.stderr.strip()}): name a GenDD pair launcher "
                 f"(GenDD_cifar/sh/train_*_gendd.sh)")
        commands = [c.split("\0")[:-1] for c in record.read_text().split("\n\0") if c]
    return {script: script_epochs(launcher.parent.parent, script, args) for script, *args in commands}


def script_epochs(tree: Path, script: str, args: list[str]) -> int:
    """The epochs ``script args`` trains: what the script's own parser makes of its command line."""
    sys.path.insert(0, str(tree))
    argv = sys.argv
    try:
        sys.argv = [script, *args]
        return importlib.import_module(Path(script).stem).parse().epochs
    finally:
        sys.argv = argv
        sys.path.remove(str(tree))


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
    stages, epochs = {}, launcher_epochs(launcher)
    for stage, script, pattern in STAGES:
        runs = sorted(save_dir.glob(f"{pattern}/*/metrics.jsonl"))
        if not runs:
            fail(f"no {stage} run folder ({pattern}/*/metrics.jsonl) under {save_dir}: give the SAVE_DIR "
                 f"of an EPOCHS=1 run of the launcher")
        train, evaluation = stage_seconds(runs[0].parent)
        if script not in epochs:
            fail(f"{launcher} runs no {script}: name a GenDD pair launcher (GenDD_cifar/sh/train_*_gendd.sh)")
        stages[stage] = {"epochs": epochs[script], "train_s": train, "eval_s": evaluation}
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
