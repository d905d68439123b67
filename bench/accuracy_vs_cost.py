"""Accuracy versus cost of GenDD's sampled path on a trained CIFAR-tree GenDD run.

    python bench/accuracy_vs_cost.py --run <stage-2 run folder> --data_root <data> \
        [--test_images 2000] [--samplers ancestral,ddim] [--steps 100,50,25,10,5] [--draws 1,5]

For every (sampler, steps, num_sampling) at guidance 2 it measures top-1 on a fixed stratified
subset of the test set (fast path, sampling noise from one fixed generator per setting) and
images/s (student forward + sampling + teacher classifier) from interleaved timed calls on
``--reference_images`` images; the probe is the zero-sampling option. The reference setting
(ancestral, 100 steps, 5 draws) is also timed in the reference mode (``fast=False``, the code
before the fast path): every speed-up is over that figure, measured in the same run. Writes a Markdown
table and a JSON file naming the cheapest setting within ``--tolerance``
points of the accuracy at the paper's sampling setting.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from argparse import Namespace
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "GenDD_cifar"), str(ROOT / "bench")]
from gendd.distillers.gendd import GenDD, SamplingSettings  # noqa: E402
from gendd.cli.gendd import build_gendd, checkpoint_teacher_fc, load_gendd_weights  # noqa: E402
from gendd_cifar.data import build_datasets, stratified_split, targets_of  # noqa: E402
from gendd_cifar.models import build_model  # noqa: E402
from timing import interleaved_seconds, median  # noqa: E402

REFERENCE = ("ancestral", 100, 5)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", required=True, help="a finished GenDD stage-2 run folder (config.yaml, final.pth)")
    p.add_argument("--data_root", required=True)
    p.add_argument("--test_images", type=int, default=2000, help="stratified test subset (0: the whole test set)")
    p.add_argument("--samplers", default="ancestral,ddim")
    p.add_argument("--steps", default="100,50,25,10,5")
    p.add_argument("--draws", default="1,5")
    p.add_argument("--cfg_scale", type=float, default=2.0)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--reference_images", type=int, default=200, help="images of each timed call")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per setting (interleaved; median)")
    p.add_argument("--tolerance", type=float, default=0.3, help="points of top-1 below the paper's sampling setting")
    p.add_argument("--out", default="bench/accuracy_vs_cost")
    return p.parse_args(argv)


def load_run(run: str) -> tuple[GenDD, Namespace]:
    with open(os.path.join(run, "config.yaml")) as fh:
        cfg = Namespace(**yaml.safe_load(fh))
    path = os.path.join(run, "final.pth")
    num_classes = checkpoint_teacher_fc(path)[0]
    distiller = build_gendd(cfg, build_model(cfg.model_s, num_classes), None, checkpoint_teacher_fc(path))
    load_gendd_weights(distiller, path)
    return distiller.eval(), cfg


def test_subset(cfg: Namespace, data_root: str, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    test = build_datasets(cfg.dataset, data_root, download=False).test
    labels = targets_of(test)
    keep = stratified_split(labels, n, seed=0)[0] if 0 < n < len(labels) else list(range(len(labels)))
    images = torch.stack([test[i][0] for i in keep])
    return images, labels[keep]


@torch.no_grad()
def run_setting(distiller: GenDD, images: torch.Tensor, settings: SamplingSettings, batch: int):
    """(predictions, seconds) over ``images`` in batches; sampling noise from a fixed generator."""
    distiller.sampling = settings
    generator = torch.Generator().manual_seed(0)
    preds, start = [], time.perf_counter()
    for chunk in images.split(batch):
        f_s = distiller.student_features(chunk.contiguous(memory_format=torch.channels_last))
        if settings.num_sampling == 0:
            logits = distiller.student.fc(f_s)
        else:
            logits = distiller.teacher_fc(distiller.sample_features(distiller.projector(f_s), generator))
        preds.append(logits.argmax(1))
    return torch.cat(preds), time.perf_counter() - start


def set_fast(distiller: GenDD, fast: bool) -> None:
    distiller.fast = distiller.head.fast = fast


def all_settings(args) -> list[tuple[str, int, int]]:
    return [(s, k, d) for s in args.samplers.split(",") for k in map(int, args.steps.split(","))
            for d in map(int, args.draws.split(","))] + [("probe", 0, 0)]


def sampling_settings(sampler: str, steps: int, draws: int, cfg_scale: float) -> SamplingSettings:
    return SamplingSettings(num_sampling=draws, steps=max(steps, 1), cfg_scale=cfg_scale,
                            sampler="ancestral" if sampler == "probe" else sampler)


def timed_call(distiller, images, settings, batch, fast: bool):
    def call():
        set_fast(distiller, fast)
        run_setting(distiller, images, settings, batch)
        set_fast(distiller, True)
    return call


def measure(distiller, images, labels, args) -> list[dict]:
    """Top-1 of every setting on all images, then images/s from interleaved timed calls on the
    first ``--reference_images`` images (median of ``--repeats``), the reference mode included."""
    rows = []
    for sampler, steps, draws in all_settings(args):
        preds, _ = run_setting(distiller, images, sampling_settings(sampler, steps, draws, args.cfg_scale), args.batch)
        rows.append({"sampler": sampler, "steps": steps, "num_sampling": draws, "cfg_scale": args.cfg_scale,
                     "top1": 100.0 * (preds == labels).float().mean().item(), "mode": "fast"})
        print(f"[accuracy_vs_cost] {rows[-1]}", flush=True)
    rows.append({"sampler": "ancestral", "steps": 100, "num_sampling": 5, "cfg_scale": args.cfg_scale, "top1": None,
                 "mode": "reference"})
    timed = images[:args.reference_images]
    calls = {i: timed_call(distiller, timed, sampling_settings(r["sampler"], r["steps"], r["num_sampling"],
                                                               args.cfg_scale), args.batch, r["mode"] == "fast")
             for i, r in enumerate(rows)}
    seconds = interleaved_seconds(calls, torch.device("cpu"), warmup=1, repeats=args.repeats)
    for i, r in enumerate(rows):
        r["images_per_s"] = len(timed) / median(seconds[i])
    return rows


def summarise(rows: list[dict], tolerance: float) -> dict:
    ref_acc = next(r for r in rows
                   if (r["sampler"], r["steps"], r["num_sampling"]) == REFERENCE and r["mode"] == "fast")
    ref_cost = next(r for r in rows if r["mode"] == "reference")
    sampled = [r for r in rows if r["mode"] == "fast" and r["num_sampling"] > 0]
    within = [r for r in sampled if r["top1"] >= ref_acc["top1"] - tolerance]
    cheapest = max(within, key=lambda r: r["images_per_s"])
    for r in rows:
        r["speedup_vs_reference"] = r["images_per_s"] / ref_cost["images_per_s"]
    return {"reference_top1": ref_acc["top1"], "reference_images_per_s": ref_cost["images_per_s"],
            "cheapest_within_tolerance": cheapest, "tolerance": tolerance}


def markdown(rows: list[dict], summary: dict, meta: dict) -> str:
    lines = [f"Run `{meta['run']}` ({meta['pair']}, head width {meta['width']}), {meta['images']} test images "
             f"(fixed stratified subset of {meta['dataset']}), guidance {meta['cfg_scale']:g}, {meta['device']}, "
             f"load average {meta['load_average']}. images/s: median of {meta['repeats']} interleaved calls on "
             f"{meta['timed_images']} images (student forward, sampling, teacher classifier).", "",
             "| sampler | steps | num_sampling | mode | top-1 (%) | images/s | speed-up vs reference setting |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        acc = "–" if r["top1"] is None else f"{r['top1']:.2f}"
        sampler = "probe (no sampling)" if r["sampler"] == "probe" else r["sampler"]
        steps = "–" if r["sampler"] == "probe" else r["steps"]
        lines.append(f"| {sampler} | {steps} | {r['num_sampling']} | {r['mode']} | {acc} | {r['images_per_s']:.1f} | "
                     f"{r['speedup_vs_reference']:.1f}× |")
    c = summary["cheapest_within_tolerance"]
    lines += ["", f"Reference setting (ancestral, 100 steps, 5 draws): top-1 {summary['reference_top1']:.2f} %, "
              f"{summary['reference_images_per_s']:.2f} images/s in the reference mode. Cheapest setting within "
              f"{summary['tolerance']} points: {c['sampler']}, {c['steps']} steps, {c['num_sampling']} draw(s): "
              f"top-1 {c['top1']:.2f} %, {c['images_per_s']:.1f} images/s, {c['speedup_vs_reference']:.1f}× the "
              f"reference."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse(argv)
    torch.manual_seed(0)
    distiller, cfg = load_run(args.run)
    images, labels = test_subset(cfg, args.data_root, args.test_images)
    rows = measure(distiller, images, labels, args)
    summary = summarise(rows, args.tolerance)
    meta = {"run": args.run, "pair": f"{getattr(cfg, 'path_t', '')} -> {cfg.model_s}", "width": cfg.width,
            "dataset": cfg.dataset, "images": len(images), "cfg_scale": args.cfg_scale,
            "device": f"cpu ({torch.get_num_threads()} threads)",
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "repeats": args.repeats, "timed_images": min(args.reference_images, len(images))}
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "rows": rows, "summary": summary}, indent=1))
    Path(args.out + ".md").write_text(markdown(rows, summary, meta))
    print(markdown(rows, summary, meta))


if __name__ == "__main__":
    main()
