"""The budget-curve report: test top-1 (mean ± std over seeds) of every method at every budget,
GenDD − KD paired by seed, the cost of each (epochs, optimiser steps, training seconds), the
ablation at one budget, where GenDD crosses KD, and a plot of accuracy against training epochs."""
import argparse
import glob
import os
import re
import statistics

import matplotlib

from gendd.cli.methods import methods
from gendd.distillers import get
from reports.runs import finished, fmt, load, run_cost, save_figure, teacher_line, write_table

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BASELINES = [(get(name).label, name) for name in methods(("student", "baseline"))]   # (row, run kind), the registry's
PROTOCOLS = (("matched", "matched total epochs"), ("paper", "paper protocol"))
FAST, PAPER = "sampled at the fast preset", "sampled at the paper's setting"
READOUTS = ("probe", FAST, PAPER)


def study_parser(description: str, runs: str) -> argparse.ArgumentParser:
    """The flags a budget study's report shares (budget curve, payoff): its runs, the cached
    teacher, the outputs, the two sampled read-outs' settings and how the runs were timed."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--save_dir", required=True, help=runs)
    p.add_argument("--teacher_dir", required=True, help="the save_dir of the cached teacher")
    p.add_argument("--out", required=True)
    p.add_argument("--plot", required=True)
    p.add_argument("--ref_test_images", type=int, required=True)
    p.add_argument("--fast", nargs=3, metavar=("SAMPLER", "STEPS", "NUM_SAMPLING"), required=True)
    p.add_argument("--total_seconds", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device_name", default="")
    return p


def parse():
    p = study_parser(__doc__, "the budget curve's runs (BC_DIR)")
    p.add_argument("--ablation_budget", type=int, default=0)
    return p.parse_args()


def trial_runs(save_dir: str, kind: str, pattern: str) -> dict:
    """{(regime, budget, seed): run folder} of the finished runs whose trial matches ``pattern``
    (a regex with the groups regime, budget and seed)."""
    found = {}
    for run in glob.glob(os.path.join(save_dir, f"student_{kind}", "*_trial_*")):
        m = re.fullmatch(pattern, run.rsplit("_trial_", 1)[1])
        if m and finished(run):
            found[(m["regime"], int(m["budget"]), int(m["seed"]))] = run
    return found


def gendd_records(run: str, ref_tag: str, need_reference: bool = True) -> dict | None:
    """The read-outs and the cost (stage 1 + stage 2) of one finished GenDD run. Without its
    reference evaluation: None, or with ``need_reference=False`` the record with that read-out None."""
    ref_file = os.path.join(run, ref_tag)
    if need_reference and not os.path.isfile(ref_file):
        return None
    last = load(os.path.join(run, "summary.json"))["last"]
    ref = load(ref_file)["sampled_top1"] if os.path.isfile(ref_file) else None
    cost = run_cost(run.replace("student_gendd", "student_pretrain"), run)
    return {"probe": last["probe_top1"], FAST: last["sampled_top1"], PAPER: ref, **cost}


def collect(args) -> dict:
    """{row: {(regime, budget): {seed: {"top1", "epochs", "steps", "seconds"}}}} for every
    baseline and every GenDD (protocol, read-out)."""
    curve = r"(?P<regime>full|limited)_b(?P<budget>\d+)_s(?P<seed>\d+)"
    table = {}
    for name, kind in BASELINES:
        for (regime, budget, seed), run in trial_runs(args.save_dir, kind, curve).items():
            rec = {"top1": load(os.path.join(run, "summary.json"))["last"]["top1"], **run_cost(run)}
            table.setdefault(name, {}).setdefault((regime, budget), {})[seed] = rec
    ref_tag = f"eval_ancestral100_S5_cfg2{f'_test{args.ref_test_images}' if args.ref_test_images else ''}.json"
    paper = r"(?P<regime>full|limited)_b(?P<budget>\d+)_paper_s(?P<seed>\d+)"
    for protocol, pattern in (("matched", curve), ("paper", paper)):
        for key, run in trial_runs(args.save_dir, "gendd", pattern).items():
            rec = gendd_records(run, ref_tag)
            for readout in READOUTS if rec else ():
                row = table.setdefault(f"GenDD {protocol}, {readout}", {}).setdefault(key[:2], {})
                row[key[2]] = {"top1": rec[readout], **{k: rec[k] for k in ("epochs", "steps", "seconds")}}
    return table


def cell(runs: dict) -> str:
    return fmt([r["top1"] for r in runs.values()]) + (f" ({len(runs)})" if runs else "")


def paired_gap(table: dict, row: str, key) -> list[float]:
    """GenDD − KD, seed by seed, over the seeds both have."""
    gendd, kd = table.get(row, {}).get(key, {}), table.get("KD", {}).get(key, {})
    return [gendd[s]["top1"] - kd[s]["top1"] for s in sorted(gendd.keys() & kd.keys())]


def accuracy_table(table: dict, keys: list) -> list[str]:
    head = "| method | " + " | ".join(f"{r}, {b} epochs" for r, b in keys) + " |"
    lines = [head, "|---|" + "---|" * len(keys)]
    for row in table:
        lines.append(f"| {row} | " + " | ".join(cell(table[row].get(k, {})) for k in keys) + " |")
    return lines


def gap_table(table: dict, keys: list) -> list[str]:
    lines = ["| GenDD − KD (points, paired by seed) | " + " | ".join(f"{r}, {b} epochs" for r, b in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for row in (r for r in table if r.startswith("GenDD")):
        lines.append(f"| {row} | " + " | ".join(fmt(paired_gap(table, row, k)) for k in keys) + " |")
    return lines


def cost_table(table: dict, keys: list) -> list[str]:
    lines = ["| method | " + " | ".join(f"{r}, {b} epochs: epochs / steps / s" for r, b in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for row in table:
        if row.startswith("GenDD") and not row.endswith("probe"):
            continue      # the three read-outs of one run share its cost
        cells = []
        for k in keys:
            runs = list(table[row].get(k, {}).values())
            means = (f"{statistics.mean(r[f] for r in runs):.0f}" for f in ("epochs", "steps", "seconds"))
            cells.append(" / ".join(means)
                         if runs else "–")
        lines.append(f"| {row.removesuffix(', probe')} | " + " | ".join(cells) + " |")
    return lines


def crossing(table: dict, keys: list) -> list[str]:
    """Per regime and GenDD row: the smallest budget whose mean paired gap is ≥ 0, or the gap at
    the largest budget measured."""
    out = []
    for regime in sorted({r for r, _ in keys}):
        budgets = sorted(b for r, b in keys if r == regime)
        for row in (r for r in table if r.startswith("GenDD")):
            gaps = {b: paired_gap(table, row, (regime, b)) for b in budgets}
            gaps = {b: g for b, g in gaps.items() if g}
            if not gaps:
                continue
            caught = [b for b, g in gaps.items() if statistics.mean(g) >= 0]
            top = max(gaps)
            out.append(f"- {regime}, {row}: " + (f"reaches KD at {min(caught)} epochs." if caught else
                       f"does not reach KD up to {top} epochs (gap there {fmt(gaps[top])} points)."))
    return out


def ablation_lines(args, table: dict) -> list[str]:
    if not args.ablation_budget:
        return []
    ref_tag = f"eval_ancestral100_S5_cfg2{f'_test{args.ref_test_images}' if args.ref_test_images else ''}.json"
    pattern = (rf"(?P<regime>limited)_b(?P<budget>{args.ablation_budget})_(?P<knob>[a-z_]+)(?P<value>[0-9.]+)"
               rf"_s(?P<seed>\d+)")
    readouts = READOUTS[:2]     # the ablation runs skip the paper's sampling setting (hours for a wide head on a CPU)
    lines = [f"| GenDD (matched, {args.ablation_budget} epochs, one seed) | probe | {FAST} | s / run |",
             "|---|---|---|---|"]
    base = {ro: table.get(f"GenDD matched, {ro}", {}).get(("limited", args.ablation_budget), {}) for ro in READOUTS}
    seeds = set.intersection(*(set(b) for b in base.values())) if all(base.values()) else set()
    if seeds:
        s = min(seeds)
        lines.append(f"| as the curve (seed {s}) | " + " | ".join(f"{base[ro][s]['top1']:.2f}" for ro in readouts)
                     + f" | {base['probe'][s]['seconds']:.0f} |")
    for run in sorted(glob.glob(os.path.join(args.save_dir, "student_gendd", "*_trial_*"))):
        m = re.fullmatch(pattern, run.rsplit("_trial_", 1)[1])
        rec = gendd_records(run, ref_tag, need_reference=False) if m and finished(run) else None
        if rec:
            lines.append(f"| {m['knob']} = {m['value']} (seed {m['seed']}) | "
                         + " | ".join(f"{rec[ro]:.2f}" for ro in readouts) + f" | {rec['seconds']:.0f} |")
    return lines if len(lines) > 2 else []


def plot(table: dict, keys: list, path: str) -> None:
    """Top-1 against total training epochs (GenDD: stage 1 + stage 2), one line per method and
    regime, error bars one standard deviation over seeds."""
    regimes = sorted({r for r, _ in keys})
    fig, axes = plt.subplots(1, len(regimes), figsize=(7 * len(regimes), 4.5), squeeze=False)
    shown = [r for r in table if not r.startswith("GenDD") or r.endswith(("probe", "paper's setting"))]
    for ax, regime in zip(axes[0], regimes):
        for row in shown:
            points = sorted((statistics.mean(x["epochs"] for x in runs.values()),
                             statistics.mean(x["top1"] for x in runs.values()),
                             statistics.stdev([x["top1"] for x in runs.values()]) if len(runs) > 1 else 0.0)
                            for (r, _), runs in table[row].items() if r == regime and runs)
            if points:
                xs, ys, es = zip(*points)
                style = "--" if "probe" in row else "-"
                ax.errorbar(xs, ys, yerr=es, fmt=style + "o", capsize=3, label=row, markersize=4)
        ax.set_xscale("log")
        ax.set_xlabel("training epochs (GenDD: stage 1 + stage 2)")
        ax.set_ylabel("test top-1 (%), last epoch")
        ax.set_title(f"Fashion-MNIST, {regime} data")
        ax.legend(fontsize=7)
    save_figure(fig, path)


def main():
    args = parse()
    table = collect(args)
    keys = sorted({k for row in table.values() for k in row}, key=lambda k: (k[0] != "limited", k[1]))
    if not keys:
        raise SystemExit(f"error: no finished budget-curve run under {args.save_dir}; run bash sh/budget_curve.sh")
    sampler, steps, draws = args.fast
    subset = f"{args.ref_test_images} test images" if args.ref_test_images else "all test images"
    threads = f", {args.threads} thread(s) each" if args.threads else ""
    text = "\n".join(["# Budget curves on Fashion-MNIST", "", teacher_line(args.teacher_dir), "",
                      "Test top-1 (%), mean ± std over seeds (seed count in brackets):", "",
                      *accuracy_table(table, keys), "", *gap_table(table, keys), "",
                      "Where GenDD reaches KD (mean paired gap ≥ 0):", "", *crossing(table, keys), "",
                      "Cost per run (mean over seeds; GenDD: stage 1 + stage 2):", "", *cost_table(table, keys), ""])
    ablation = ablation_lines(args, table)
    if ablation:
        text += "\nOne knob changed at a time (GenDD, matched protocol):\n\n" + "\n".join(ablation) + "\n"
    text += (f"\nRead-outs: probe = the linear classifier on the student's feature; {FAST} = {sampler} "
             f"{steps} steps, CFG 2, S={draws}, on the whole test set; {PAPER} = ancestral 100 steps, "
             f"CFG 2, S=5, on a fixed stratified subset of {subset}. Baselines are measured on the whole test set. "
             f"Time: training seconds on {args.device_name or 'the machine that ran it'} ({args.jobs} run(s) side by "
             f"side{threads}); wall time of this invocation of `bash sh/budget_curve.sh`: {args.total_seconds} s.\n")
    write_table(text, args.out)
    plot(table, keys, args.plot)
    print(text)
    print(f"table: {args.out}\nplot: {args.plot}")


if __name__ == "__main__":
    main()
