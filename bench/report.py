"""Markdown tables of the benchmark records (bench/run.py): training, evaluation, loss curves.

Training: seconds per step, images/s, peak memory, the speed-up of each mode over the
reference mode (same pair and method) and the GenDD/KD step ratio (same pair and mode).
Evaluation: images/s and peak memory per sampling setting and mode, and the speed-up over the
reference setting (ancestral, 100 steps, guidance 2, 5 draws) in the reference mode.
"""
from __future__ import annotations


def _mb(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def training_table(records: list[dict]) -> list[str]:
    train = [r for r in records if r["kind"] == "train"]
    by_key = {(r["pair"], r["method"], r["mode"]): r for r in train}
    lines = ["| pair | method | mode | s/step | images/s | peak MB | speed-up vs reference | GenDD/KD step ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in train:
        ref = by_key.get((r["pair"], r["method"], "reference"))
        kd = by_key.get((r["pair"], "kd", r["mode"]))
        speedup = f"{r['images_per_s'] / ref['images_per_s']:.2f}×" if ref else "–"
        ratio = f"{r['seconds_per_call'] / kd['seconds_per_call']:.2f}" if kd and r["method"] == "gendd" else ""
        lines.append(f"| {r['pair']} | {r['method']} | {r['mode']} | {r['seconds_per_call']:.3f} | "
                     f"{r['images_per_s']:.1f} | {_mb(r['peak_memory_mb'])} | {speedup} | {ratio} |")
    return lines


def evaluation_table(records: list[dict]) -> list[str]:
    evals = [r for r in records if r["kind"] == "eval"]
    reference = next((r for r in evals if r["mode"] == "reference" and r["setting"]["num_sampling"] == 5
                      and r["setting"]["steps"] == 100 and r["setting"]["sampler"] == "ancestral"), None)
    lines = ["| sampler | steps | guidance | num_sampling | mode | images/s | peak MB "
             "| speed-up vs reference setting |",
             "|---|---|---|---|---|---|---|---|"]
    for r in evals:
        s = r["setting"]
        sampler = "probe (no sampling)" if s["num_sampling"] == 0 else s["sampler"]
        steps = "–" if s["num_sampling"] == 0 else s["steps"]
        speedup = f"{r['images_per_s'] / reference['images_per_s']:.1f}×" if reference else "–"
        lines.append(f"| {sampler} | {steps} | {s['cfg_scale']:g} | {s['num_sampling']} | {r['mode']} | "
                     f"{r['images_per_s']:.2f} | {_mb(r['peak_memory_mb'])} | {speedup} |")
    return lines


def curve_lines(records: list[dict]) -> list[str]:
    curves = {r["mode"]: r["losses"] for r in records if r["kind"] == "loss_curve"}
    if len(curves) < 2:
        return []
    (ref_name, ref), (name, other) = list(curves.items())[:2]
    gap = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(other, ref))
    return [f"Loss curve, {len(ref)} steps from the same weights and data: {ref_name} "
            f"{', '.join(f'{x:.4f}' for x in ref)}; {name} {', '.join(f'{x:.4f}' for x in other)}; "
            f"largest relative gap {gap:.2e}."]


def markdown_report(meta: dict, records: list[dict]) -> str:
    head = [f"Device: {meta['device']}; torch {meta['torch']}; load average at start {meta['load_average_start']}, "
            f"at end {meta.get('load_average_end')}; median of {meta['repeats']} interleaved calls after "
            f"{meta['warmup']} warm-up; started {meta['started']}.", ""]
    parts = head
    if any(r["kind"] == "train" for r in records):
        parts += ["Training (batch as given, whole step: student, teacher under inference mode, loss, backward, "
                  "optimiser):", "", *training_table(records), ""]
    if any(r["kind"] == "eval" for r in records):
        parts += ["Evaluation of the sampled path (student forward, sampling, teacher classifier, probe):", "",
                  *evaluation_table(records), ""]
    loaders = [r for r in records if r["kind"] == "loader"]
    if loaders:
        parts += ["CIFAR training loader (synthetic uint8 set, batch 64, one epoch, images on the device):", "",
                  "| loader | images/s |", "|---|---|",
                  *[f"| {r['mode']} | {r['images_per_s']:.0f} |" for r in loaders], ""]
    parts += curve_lines(records)
    return "\n".join(parts) + "\n"
