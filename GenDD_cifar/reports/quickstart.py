"""The quick start's report: a table of the teacher's and the students' test accuracies
(GenDD: sampled path and probe), the epochs and wall time of each, and a bar chart. The logit
rows are the registered student-alone and baseline methods (``gendd.cli.methods``) that have a
run under --save_dir (the quick start trains the student alone and KD)."""
import argparse
import glob
import json
import os

import matplotlib

from gendd.cli.methods import methods
from gendd.distillers import get
from gendd.engine.logger import read_metrics
from reports.runs import save_figure, write_table

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


def logit_rows(save_dir: str) -> list[tuple]:
    """(row name, top-1, epochs, seconds) of every registered student-alone or baseline method with a run."""
    rows = []
    for name in methods(("student", "baseline")):
        if not glob.glob(f"{save_dir}/student_{name}/*"):
            continue
        run = run_info(f"{save_dir}/student_{name}/*")
        method = get(name)
        row = method.label if method.family == "student" else f"student + {method.label}"
        rows.append((row, run["summary"]["last"]["top1"], run["epochs"], run["seconds"]))
    return rows


def main():
    args = parse()
    s = args.save_dir
    teacher = run_info(f"{s}/models/*_trial_*")
    stage1 = run_info(f"{s}/student_pretrain/*")
    stage2 = run_info(f"{s}/student_gendd/*")
    g = stage2["summary"]["last"]
    rows = [
        ("teacher", teacher["summary"]["last"]["top1"], teacher["epochs"], teacher["seconds"]),
        *logit_rows(s),
        ("student + GenDD (sampled)", g.get("sampled_top1"), stage1["epochs"] + stage2["epochs"],
         stage1["seconds"] + stage2["seconds"]),
        ("student + GenDD (probe)", g.get("probe_top1"), stage1["epochs"] + stage2["epochs"],
         stage1["seconds"] + stage2["seconds"]),
    ]
    lines = ["| model | test top-1 (%) | training epochs | training time (s) |", "|---|---|---|---|"]
    lines += [f"| {name} | {acc:.2f} | {ep} | {sec:.0f} |" for name, acc, ep, sec in rows if acc is not None]
    text = "\n".join(lines) + "\n"
    write_table(text, args.out)
    print(text)
    names = [r[0].replace("student + ", "").replace("student ", "") for r in rows if r[1] is not None]
    accs = [r[1] for r in rows if r[1] is not None]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bars = ax.bar(names, accs, color=[plt.get_cmap("tab10")(i) for i in range(len(accs))])
    ax.bar_label(bars, fmt="%.1f")
    ax.set_ylim(max(0.0, min(accs) - 10), 100)
    ax.set_ylabel("test top-1 (%)")
    ax.set_title("Quick start: Fashion-MNIST, the last epoch of each run")
    save_figure(fig, args.plot)
    print(f"table: {args.out}\nchart: {args.plot}")


if __name__ == "__main__":
    main()
