"""The quick start's report: a table of the teacher's and the students' test accuracies
(GenDD: sampled path and probe), the epochs and wall time of each, and a bar chart."""
import argparse
import glob
import json
import os

import matplotlib

from gendd.engine.logger import read_metrics

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def parse():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--save_dir", required=True)
    p.add_argument("--out", required=True, help="Markdown table")
    p.add_argument("--plot", required=True, help="PNG bar chart")
    return p.parse_args()


def run_info(pattern: str) -> dict:
    """summary, total training epochs and seconds of the single run folder matching ``pattern``."""
    runs = sorted(glob.glob(pattern))
    if len(runs) != 1:
        raise SystemExit(f"expected one finished run matching {pattern}, found {runs}")
    with open(os.path.join(runs[0], "summary.json")) as fh:
        summary = json.load(fh)
    seconds = sum(row.get("train_epoch/epoch_seconds", 0.0) for row in read_metrics(runs[0]))
    return {"summary": summary, "epochs": summary["last_epoch"], "seconds": seconds, "dir": runs[0]}


def main():
    args = parse()
    s = args.save_dir
    teacher = run_info(f"{s}/models/*_trial_*")
    alone = run_info(f"{s}/student_vanilla/*")
    kd = run_info(f"{s}/student_kd/*")
    stage1 = run_info(f"{s}/student_pretrain/*")
    stage2 = run_info(f"{s}/student_gendd/*")
    g = stage2["summary"]["last"]
    rows = [
        ("teacher", teacher["summary"]["last"]["top1"], teacher["epochs"], teacher["seconds"]),
        ("student alone", alone["summary"]["last"]["top1"], alone["epochs"], alone["seconds"]),
        ("student + KD", kd["summary"]["last"]["top1"], kd["epochs"], kd["seconds"]),
        ("student + GenDD (sampled)", g.get("sampled_top1"), stage1["epochs"] + stage2["epochs"],
         stage1["seconds"] + stage2["seconds"]),
        ("student + GenDD (probe)", g.get("probe_top1"), stage1["epochs"] + stage2["epochs"],
         stage1["seconds"] + stage2["seconds"]),
    ]
    lines = ["| model | test top-1 (%) | training epochs | training time (s) |", "|---|---|---|---|"]
    lines += [f"| {name} | {acc:.2f} | {ep} | {sec:.0f} |" for name, acc, ep, sec in rows if acc is not None]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    print(text)
    names = [r[0].replace("student + ", "").replace("student ", "") for r in rows if r[1] is not None]
    accs = [r[1] for r in rows if r[1] is not None]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bars = ax.bar(names, accs, color=["#555555", "#1f77b4", "#ff7f0e", "#2ca02c", "#98df8a"][:len(accs)])
    ax.bar_label(bars, fmt="%.1f")
    ax.set_ylim(max(0.0, min(accs) - 10), 100)
    ax.set_ylabel("test top-1 (%)")
    ax.set_title("Quick start: Fashion-MNIST, the last epoch of each run")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"table: {args.out}\nchart: {args.plot}")


if __name__ == "__main__":
    main()
