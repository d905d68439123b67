"""The evidence report: mean ± std over seeds of every method's last-epoch test accuracy in
both regimes, the epochs and training time of each, and a grouped bar chart. The logit rows are
the student alone and every registered baseline (``gendd.cli.methods``), labelled as registered."""
import glob
import os
import statistics

import matplotlib

from gendd.cli import main_guard
from gendd.cli.checked_parser import CheckedParser
from gendd.cli.methods import methods
from gendd.distillers import get
from gendd.validation import NON_NEGATIVE, POSITIVE, checked
from reports.runs import fmt, load, save_figure, teacher_line, train_seconds, write_table

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

REGIMES = ("full", "limited")


def logit_rows() -> list[tuple[str, str]]:
    """(label, method) of the student alone and every registered baseline."""
    return [(get(name).label, name) for name in methods(("student", "baseline"))]


def parse():
    p = CheckedParser(description=__doc__)
    p.add_argument("--save_dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--plot", required=True)
    p.add_argument("--ref_test_images", type=int, required=True)
    p.add_argument("--fast", nargs=3, metavar=("SAMPLER", "STEPS", "NUM_SAMPLING"), required=True)
    checked(p.add_argument("--total_seconds", type=int, default=0), NON_NEGATIVE)
    checked(p.add_argument("--jobs", type=int, default=1, help="runs that trained side by side"), POSITIVE)
    checked(p.add_argument("--threads", type=int, default=0, help="threads of each run (0: not recorded)"),
            NON_NEGATIVE)
    p.add_argument("--device_name", default="", help="the device the runs trained on")
    return p.parse_args()


def runs(save_dir: str, kind: str, regime: str) -> list[str]:
    return sorted(glob.glob(os.path.join(save_dir, f"student_{kind}", f"*_trial_{regime}_s*")))


def collect(args) -> dict:
    """{(row name, regime): {"acc": [...], "epochs": int, "seconds": [...]}}"""
    ref_tag = f"eval_ancestral100_S5_cfg2{f'_test{args.ref_test_images}' if args.ref_test_images else ''}.json"
    table = {}
    for regime in REGIMES:
        for name, kind in logit_rows():
            found = [r for r in runs(args.save_dir, kind, regime) if os.path.isfile(os.path.join(r, "summary.json"))]
            table[(name, regime)] = {"acc": [load(os.path.join(r, "summary.json"))["last"]["top1"] for r in found],
                                     "epochs": [load(os.path.join(r, "summary.json"))["last_epoch"] for r in found],
                                     "seconds": [train_seconds(r) for r in found]}
        gendd = [r for r in runs(args.save_dir, "gendd", regime) if os.path.isfile(os.path.join(r, "summary.json"))]
        stage1 = [r.replace("student_gendd", "student_pretrain") for r in gendd]
        epochs = [load(os.path.join(a, "summary.json"))["last_epoch"]
                  + load(os.path.join(b, "summary.json"))["last_epoch"]
                  for a, b in zip(stage1, gendd)]
        seconds = [train_seconds(a) + train_seconds(b) for a, b in zip(stage1, gendd)]
        last = [load(os.path.join(r, "summary.json"))["last"] for r in gendd]
        ref = [load(os.path.join(r, ref_tag)) for r in gendd if os.path.isfile(os.path.join(r, ref_tag))]
        subset = f"{args.ref_test_images} test images" if args.ref_test_images else "all test images"
        sampler, steps, draws = args.fast
        paper = f"GenDD sampled, paper's setting (ancestral 100, CFG 2, S=5; {subset})"
        rows = {paper: [x["sampled_top1"] for x in ref],
                f"GenDD probe ({subset})": [x["probe_top1"] for x in ref],
                f"GenDD sampled, fast preset ({sampler} {steps}, CFG 2, S={draws})": [x["sampled_top1"] for x in last],
                "GenDD probe": [x["probe_top1"] for x in last]}
        for name, accs in rows.items():
            table[(name, regime)] = {"acc": accs, "epochs": epochs, "seconds": seconds}
    return table






def markdown(table: dict, args) -> str:
    names = list(dict.fromkeys(name for name, _ in table))
    head = ["| method | full training set: top-1 (%) | epochs | s / run | limited data: top-1 (%) | epochs | s / run "
            "| seeds (full / limited) |",
            "|---|---|---|---|---|---|---|---|"]
    lines = []
    for name in names:
        cells = []
        for regime in REGIMES:
            row = table[(name, regime)]
            epochs = sorted(set(row["epochs"]))
            cells += [fmt(row["acc"]), ",".join(map(str, epochs)) or "–",
                      f"{statistics.mean(row['seconds']):.0f}" if row["seconds"] else "–"]
        seeds = sorted({len(table[(name, r)]["acc"]) for r in REGIMES}, reverse=True)
        seeds = str(seeds[0]) if len(seeds) == 1 else " / ".join(str(len(table[(name, r)]["acc"])) for r in REGIMES)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {seeds} |")
    return "\n".join([teacher_line(args.save_dir), ""] + head + lines) + "\n"


def short_name(name: str) -> str:
    if name.startswith("GenDD sampled, paper's setting"):
        return "GenDD sampled\n(paper's setting)*"
    if name.startswith("GenDD sampled, fast preset"):
        return "GenDD sampled\n(fast preset)"
    return name


def plot(table: dict, path: str) -> None:
    """Every row measured on the whole test set, plus GenDD at the paper's sampling setting (marked *: it
    may use the fixed test subset)."""
    names = [n for n in dict.fromkeys(name for name, _ in table)
             if table[(n, "full")]["acc"] and not n.startswith("GenDD probe (")]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.38
    for i, regime in enumerate(REGIMES):
        means = [statistics.mean(table[(n, regime)]["acc"]) if table[(n, regime)]["acc"] else 0 for n in names]
        stds = [statistics.stdev(table[(n, regime)]["acc"]) if len(table[(n, regime)]["acc"]) > 1 else 0
                for n in names]
        xs = [j + (i - 0.5) * width for j in range(len(names))]
        ax.bar(xs, means, width, yerr=stds, capsize=3, label=regime)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([short_name(n) for n in names], fontsize=8)
    lows = [statistics.mean(v["acc"]) for v in table.values() if v["acc"]]
    ax.set_ylim(max(0, min(lows) - 5), 100)
    ax.set_ylabel("test top-1 (%), last epoch")
    ax.set_title("Fashion-MNIST: mean ± std over seeds")
    ax.legend()
    save_figure(fig, path)


def side_by_side(args) -> str:
    threads = f", {args.threads} thread(s) each" if args.threads else ""
    return f"{args.jobs} run(s) side by side{threads}"


def main():
    args = parse()
    table = collect(args)
    text = "# Fashion-MNIST evidence\n\n" + markdown(table, args)
    text += (f"\nSame student, data, augmentation and total epochs for every method; GenDD's epochs are "
             f"stage 1 + stage 2. Time: training seconds per run on {args.device_name or 'the machine that ran it'} "
             f"({side_by_side(args)}; wall time of this invocation of `bash sh/evidence.sh`: "
             f"{args.total_seconds} s).\n")
    write_table(text, args.out)
    plot(table, args.plot)
    print(text)
    print(f"table: {args.out}\nplot: {args.plot}")


if __name__ == "__main__":
    main_guard(main)
