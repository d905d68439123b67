"""The payoff report (`bash sh/payoff.sh`): where a teacher has something to teach, does GenDD
pay off? Test top-1 of the student alone, the logit baselines and GenDD (paper protocol; probe,
sampled fast, sampled at the paper's setting) at every budget, the teacher − student gap, GenDD −
KD paired by seed, where GenDD crosses KD, the traced run (sampled top-1 against the probe and
the head's training loss per evaluation, with each knob changed) and the GPU records."""
import glob
import os
import re
import statistics
from types import SimpleNamespace

import matplotlib

from reports.budget import accuracy_table, collect, cost_table, crossing, gap_table, plot, study_parser
from gendd.engine.logger import read_metrics
from reports.runs import finished, load, save_figure, teacher_line, write_table

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def parse():
    p = study_parser(__doc__, "the payoff runs (BC_DIR of sh/payoff.sh)")
    p.add_argument("--trace_plot", required=True)
    p.add_argument("--images", type=int, required=True, help="training images of the students")
    p.add_argument("--trace_budget", type=int, default=0, help="0: no traced run")
    p.add_argument("--trace_seed", type=int, default=0)
    p.add_argument("--records", default="", help="a folder of GPU run records (bc/, teacher/, device.txt)")
    return p.parse_args()


def teacher_top1(teacher_dir: str) -> float | None:
    found = glob.glob(os.path.join(teacher_dir, "models", "*_trial_teacher", "summary.json"))
    return load(found[0])["last"]["top1"] if found else None


def gap_lines(table: dict, keys: list, teacher: float | None) -> list[str]:
    """Teacher − student alone (mean over seeds) per budget: what there is to distil."""
    alone = table.get("student alone", {})
    if teacher is None or not alone:
        return []
    parts = [f"{teacher - statistics.mean(r['top1'] for r in alone[k].values()):.2f} points at {k[1]} epochs"
             for k in keys if alone.get(k)]
    return [f"Teacher − student alone (what there is to distil): {', '.join(parts)}.", ""]


def trace_of(run: str) -> list[dict]:
    """Per evaluation epoch: sampled and probe top-1, and the head's training loss of that epoch."""
    loss, rows = {}, []
    for row in read_metrics(run):
        if "train_epoch/diffusion" in row:
            loss[row["train_epoch/epoch"]] = row["train_epoch/diffusion"]
        if "eval/sampled_top1" in row:
            epoch = row["eval/epoch"]
            rows.append({"epoch": epoch, "sampled": row["eval/sampled_top1"], "probe": row["eval/probe_top1"],
                         "loss": loss.get(epoch)})
    return rows


def traced_runs(args) -> dict:
    """{label: trace} of the traced run and of each knob run (trial ..._paper<knob><value>_s<seed>)."""
    base = rf"limited_b{args.trace_budget}_paper(?P<knob>[a-z_]*[a-z])?(?P<value>[0-9.e-]*)_s{args.trace_seed}"
    runs = {}
    for run in sorted(glob.glob(os.path.join(args.save_dir, "student_gendd", "*_trial_*"))):
        m = re.fullmatch(base, run.rsplit("_trial_", 1)[1])
        if m and finished(run):
            label = f"{m['knob'].lstrip('_')} = {m['value']}" if m["knob"] else "as the table"
            runs[label] = trace_of(run)
    return dict(sorted(((k, v) for k, v in runs.items() if len(v) > 1), key=lambda kv: kv[0] != "as the table"))


def trace_lines(traces: dict) -> list[str]:
    lines = ["| run | epoch | sampled top-1 | probe top-1 | probe − sampled | head training loss |",
             "|---|---|---|---|---|---|"]
    for label, rows in traces.items():
        for r in rows:
            loss = f"{r['loss']:.4f}" if r["loss"] is not None else "–"
            lines.append(f"| {label} | {r['epoch']} | {r['sampled']:.2f} | {r['probe']:.2f} | "
                         f"{r['probe'] - r['sampled']:.2f} | {loss} |")
    return lines


def trace_summary(traces: dict) -> list[str]:
    """Per traced run: the last probe − sampled gap, the lowest sampled top-1 after the first
    evaluation and the spread of the sampled top-1 over the second half of the evaluations."""
    out = []
    for label, rows in traces.items():
        last, low = rows[-1], min(rows[1:], key=lambda r: r["sampled"])
        half = [r["sampled"] for r in rows[len(rows) // 2:]]
        spread = statistics.stdev(half) if len(half) > 1 else 0.0
        out.append(f"- {label}: probe − sampled {last['probe'] - last['sampled']:.2f} points at the last epoch "
                   f"({last['epoch']}); lowest sampled top-1 {low['sampled']:.2f} % at epoch {low['epoch']}; "
                   f"standard deviation of the sampled top-1 over the second half of the evaluations {spread:.2f}.")
    return out


def plot_trace(traces: dict, path: str) -> None:
    fig, (acc, loss) = plt.subplots(1, 2, figsize=(13, 4.5))
    for label, rows in traces.items():
        epochs = [r["epoch"] for r in rows]
        line, = acc.plot(epochs, [r["sampled"] for r in rows], "-o", markersize=3, label=f"{label}: sampled")
        acc.plot(epochs, [r["probe"] for r in rows], "--", color=line.get_color(), label=f"{label}: probe")
        loss.plot(*zip(*[(r["epoch"], r["loss"]) for r in rows if r["loss"] is not None]), "-o", markersize=3,
                  color=line.get_color(), label=label)
    acc.set_xlabel("stage-2 epoch")
    acc.set_ylabel("test top-1 (%)")
    acc.legend(fontsize=7)
    loss.set_xlabel("stage-2 epoch")
    loss.set_ylabel("head training loss (diffusion, epoch mean)")
    loss.legend(fontsize=7)
    fig.suptitle("GenDD, paper protocol: the sampled path against the probe and the head's training loss")
    save_figure(fig, path)


def records_lines(folder: str, ref_test_images: int) -> list[str]:
    """The GPU records' table (their own teacher, budget and device), read like this run's folder."""
    bc = os.path.join(folder, "bc")
    if not folder or not os.path.isdir(bc):
        return []
    found = glob.glob(os.path.join(bc, "student_gendd", "*", "eval_ancestral100_S5_cfg2_test*.json"))
    ref = int(re.search(r"_test(\d+)\.json$", found[0])[1]) if found else ref_test_images
    table = collect(SimpleNamespace(save_dir=bc, ref_test_images=ref))
    keys = sorted({k for row in table.values() for k in row}, key=lambda k: k[1])
    with open(os.path.join(folder, "device.txt")) as fh:
        device = fh.read().strip()
    return ["## GPU records", "", device, "", teacher_line(os.path.join(folder, "teacher")), "",
            *accuracy_table(table, keys), "", *gap_table(table, keys), ""]


def main():
    args = parse()
    table = collect(args)
    keys = sorted({k for row in table.values() for k in row}, key=lambda k: k[1])
    if not keys:
        raise SystemExit(f"error: no finished payoff run under {args.save_dir}; run bash sh/payoff.sh")
    traces = traced_runs(args) if args.trace_budget else {}
    sampler, steps, draws = args.fast
    threads = f", {args.threads} thread(s) each" if args.threads else ""
    text = [f"# Does GenDD pay off? Fashion-MNIST, students on {args.images:,} images", "",
            teacher_line(args.teacher_dir), "", *gap_lines(table, keys, teacher_top1(args.teacher_dir)),
            "Test top-1 (%), mean ± std over seeds (seed count in brackets):", "", *accuracy_table(table, keys), "",
            *gap_table(table, keys), "", "Where GenDD reaches KD (mean paired gap ≥ 0):", "", *crossing(table, keys),
            "", "Cost per run (mean over seeds; GenDD: stage 1 + stage 2):", "", *cost_table(table, keys), ""]
    if traces:
        text += [f"## The sampled path against the probe ({args.trace_budget} epochs, seed {args.trace_seed})", "",
                 *trace_summary(traces), "", *trace_lines(traces), ""]
        plot_trace(traces, args.trace_plot)
    text += records_lines(args.records, args.ref_test_images)
    text += [f"Read-outs: probe = the linear classifier on the student's feature; sampled at the fast preset = "
             f"{sampler} {steps} steps, CFG 2, S={draws}, on the whole test set; sampled at the paper's setting = "
             f"ancestral 100 steps, CFG 2, S=5, on a fixed stratified subset of {args.ref_test_images or 'all'} test "
             f"images. Time: training seconds on {args.device_name or 'the machine that ran it'} ({args.jobs} run(s) "
             f"side by side{threads}); wall time of this invocation of `bash sh/payoff.sh`: {args.total_seconds} s.",
             ""]
    write_table("\n".join(text), args.out)
    plot(table, keys, args.plot)
    print("\n".join(text))
    print(f"table: {args.out}\nplot: {args.plot}")


if __name__ == "__main__":
    main()
