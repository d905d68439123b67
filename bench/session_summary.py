"""The device session's tables (bench/device_session.sh): the parts' JSON files in one Markdown
summary, and a short table of the figures the targets are about, printed.

    python bench/session_summary.py --dir <OUT of the session> [--out summary.md]

A part whose file is missing (it failed or ran out of time) shows as "not measured".
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench")]
from capture_step import table as steps_table  # noqa: E402

MISSING = "not measured"


def read(folder: Path, name: str) -> dict | None:
    try:
        return json.loads((folder / name).read_text())
    except (OSError, ValueError):
        return None


def ratio(steps: dict | None, batch: int, method: str, step: str) -> str:
    rows = [r for r in (steps or {}).get("rows", []) if (r["batch"], r["method"], r["step"]) == (batch, method, step)]
    return f"{rows[0]['vs_eager']:.2f}×" if rows and rows[0].get("vs_eager") else MISSING


def wall(rows: list, batch: int, method: str, step: str) -> str:
    found = [r for r in rows if (r["batch"], r["method"], r["step"]) == (batch, method, step)]
    return f"{found[0]['wall_ms']:.2f} ms" if found else MISSING


def headline(steps, costs, recipe, original) -> list[str]:
    """The short table: figure, value, target."""
    batches = sorted({r["batch"] for r in (steps or {}).get("rows", [])}) or [64, 512]
    targets = {64: "≥ 3×", 512: "≥ 1.0×"}
    rows = []
    for b in batches:
        rows += [(f"captured vs eager, GenDD, batch {b}", ratio(steps, b, "gendd", "captured"), targets.get(b, "")),
                 (f"compiled vs eager, GenDD, batch {b}", ratio(steps, b, "gendd", "compiled"),
                  "above captured, else compile_head stays off"),
                 (f"captured / compiled vs eager, KD, batch {b}",
                  f"{ratio(steps, b, 'kd', 'captured')} / {ratio(steps, b, 'kd', 'compiled')}", "≥ 1.0×")]
    gaps = (steps or {}).get("loss_gap", {})
    rows.append(("loss gap vs the eager program", ", ".join(f"{k} {v:.1e}" for k, v in gaps.items()) or MISSING,
                 "small (bf16 rounding)"))
    settings = (costs or {}).get("settings", {})
    rows.append((f"one evaluation of {(costs or {}).get('images', '?')} images (s)",
                 ", ".join(f"{k} {v['seconds']:.1f}" for k, v in settings.items()) or MISSING, ""))
    for plan, minutes in (recipe or {}).get("recipe_minutes", {}).items():
        rows.append((f"whole recipe, evaluations {plan} (min)", f"{minutes:.1f}", "≤ 20 (cheap)"))
    if not (recipe or {}).get("recipe_minutes"):
        rows.append(("whole recipe (min)", MISSING, "≤ 20"))
    ours = (steps or {}).get("rows", [])
    for r in (original or {}).get("rows", []):
        rows.append((f"original implementation's step, batch {r['batch']}",
                     f"{r['wall_ms']:.2f} ms (ours: eager {wall(ours, r['batch'], 'gendd', 'eager')}, captured "
                     f"{wall(ours, r['batch'], 'gendd', 'captured')})", ""))
    if not original:
        rows.append(("original implementation's step", MISSING, ""))
    return ["| figure | value | target |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]


def details(steps, costs, recipe) -> list[str]:
    out = []
    if steps:
        out += ["## Steps (bench/capture_step.py)", "", steps_table(steps["rows"], f"Device: {steps['device']}; "
                                                          f"torch {steps['torch']}; width {steps['width']}.")]
    if costs:
        out += ["## One evaluation (bench/eval_cost.py)", "", "| setting | seconds | images/s |", "|---|---|---|"]
        out += [f"| {k} | {v['seconds']:.2f} | {v['images_s']:.0f} |" for k, v in costs["settings"].items()]
        out += ["", "| plan | evaluations over 240 epochs | minutes |", "|---|---|---|"]
        out += [f"| {k} | {v['evaluations']} | {v['minutes']:.1f} |" for k, v in costs["plans"].items()]
        out.append("")
    if recipe:
        from recipe_time import table as recipe_table
        out += ["## The recipe (bench/recipe_time.py)", "", recipe_table(recipe)]
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    folder = Path(args.dir)
    steps, costs = read(folder, "steps.json"), read(folder, "eval_cost.json")
    recipe, original = read(folder, "recipe.json"), read(folder, "original.json")
    short = headline(steps, costs, recipe, original)
    if args.out:
        Path(args.out).write_text("\n".join(["# Device session", ""] + short + [""] + details(steps, costs, recipe)))
    print("\n".join(short))


if __name__ == "__main__":
    main()
