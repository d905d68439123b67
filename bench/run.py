"""The GenDD cost benchmark: training images/s of GenDD and KD per zoo pair, evaluation
images/s of the sampled path per (sampler, steps, guidance, num_sampling), peak memory, each
in the reference mode and the fast mode(s) of the same code, measured side by side in one run.

    python bench/run.py [--device auto] [--compile] [--out bench/results.json] [--table bench/results.md]

Writes one JSON record per measurement (device, setting, figure) and a Markdown table. Speed-ups
are ratios within this run: fast / reference for training, and for evaluation each setting's
images/s over those of the paper's sampling setting (ancestral, 100 steps, guidance 2, 5 draws) in the
reference mode; the CIFAR training loader is timed on the CPU and device-resident. ``--curve_steps``
also trains a short run in the reference mode and in the
fastest mode from the same weights and data, and records both loss curves.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "GenDD_cifar"))
from loader import loader_records  # noqa: E402
from report import markdown_report  # noqa: E402
from timing import device_name, interleaved_seconds, median, peak_memory_bytes  # noqa: E402
from workloads import FAST, FAST_CHECKPOINT, FAST_COMPILE, FAST_FP32, PAIRS, REFERENCE, evaluation_step, training_step  # noqa: E402

from gendd.distillers.gendd import SamplingSettings  # noqa: E402

REFERENCE_SETTING = SamplingSettings(num_sampling=5, steps=100, cfg_scale=2.0, sampler="ancestral")
EVAL_SETTINGS = [REFERENCE_SETTING,
                 SamplingSettings(num_sampling=1, steps=100, cfg_scale=2.0, sampler="ancestral"),
                 SamplingSettings(num_sampling=5, steps=25, cfg_scale=2.0, sampler="ddim"),
                 SamplingSettings(num_sampling=1, steps=25, cfg_scale=2.0, sampler="ddim"),
                 SamplingSettings(num_sampling=1, steps=10, cfg_scale=2.0, sampler="ddim"),
                 SamplingSettings(num_sampling=1, steps=5, cfg_scale=2.0, sampler="ddim"),
                 SamplingSettings(num_sampling=0)]


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto (cuda when present), cpu or cuda")
    p.add_argument("--pairs", default=",".join(PAIRS), help="comma-separated pair names")
    p.add_argument("--batch", type=int, default=64, help="training batch")
    p.add_argument("--width", type=int, default=1024, help="diffusion head width")
    p.add_argument("--eval_pair", default="resnet32x4->resnet8x4")
    p.add_argument("--eval_batch", type=int, default=0, help="evaluation batch (0: 256 on CUDA, 4 on CPU)")
    p.add_argument("--warmup", type=int, default=0, help="untimed calls per workload (0: 3 on CUDA, 1 on CPU)")
    p.add_argument("--repeats", type=int, default=0, help="timed calls per workload (0: 10 on CUDA, 3 on CPU)")
    p.add_argument("--compile", action="store_true", help="also time the fast mode with torch.compile")
    p.add_argument("--grad_checkpoint", action="store_true", help="also time GenDD training with head checkpointing")
    p.add_argument("--curve_steps", type=int, default=-1, help="loss-curve steps (-1: 30 on CUDA, 3 on CPU; 0: none)")
    p.add_argument("--skip_eval", action="store_true")
    p.add_argument("--skip_train", action="store_true")
    p.add_argument("--skip_loader", action="store_true", help="skip the training-loader comparison")
    p.add_argument("--out", default="bench/results.json")
    p.add_argument("--table", default="bench/results.md")
    args = p.parse_args(argv)
    args.device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                               else "cpu" if args.device == "auto" else args.device)
    cuda = args.device.type == "cuda"
    args.eval_batch = args.eval_batch or (256 if cuda else 4)
    args.warmup = args.warmup or (3 if cuda else 1)
    args.repeats = args.repeats or (10 if cuda else 3)
    args.curve_steps = args.curve_steps if args.curve_steps >= 0 else (30 if cuda else 3)
    unknown = [name for name in args.pairs.split(",") if name not in PAIRS]
    if unknown or args.eval_pair not in PAIRS:
        raise SystemExit(f"unknown pair(s) {unknown or [args.eval_pair]}; choose from {sorted(PAIRS)}")
    return args


def modes_for(args):
    """Reference and fast fp32 everywhere; bf16 autocast and compile only change CUDA runs."""
    modes = [REFERENCE, FAST_FP32]
    if args.device.type == "cuda":
        modes.append(FAST)
    if args.compile:
        modes.append(FAST_COMPILE)
    if args.grad_checkpoint:
        modes.append(FAST_CHECKPOINT)
    return modes


def measure(steps: dict, args, images_per_call: int) -> dict:
    """{name: record fields} from interleaved timing plus one peak-memory call each."""
    times = interleaved_seconds(steps, args.device, args.warmup, args.repeats)
    out = {}
    for name, step in steps.items():
        seconds = median(times[name])
        peak = peak_memory_bytes(step, args.device)
        out[name] = {"seconds_per_call": seconds, "images_per_s": images_per_call / seconds,
                     "all_seconds": times[name], "peak_memory_mb": None if peak is None else peak / 2 ** 20}
    return out


def train_records(args, modes, pair_names: list[str]) -> list[dict]:
    records = []
    for pair_name in pair_names:
        pair = PAIRS[pair_name]
        steps = {(method, mode.name): training_step(pair, method, mode, args.device, args.batch, args.width)
                 for mode in modes for method in ("gendd", "kd") if not (mode.grad_checkpoint and method == "kd")}
        for (method, mode_name), fields in measure(steps, args, args.batch).items():
            records.append({"kind": "train", "pair": pair_name, "method": method, "mode": mode_name,
                            "setting": {"batch": args.batch, "M": pair.diffusion_batch_mul, "width": args.width,
                                        "image_size": pair.image_size}, **fields})
        print(f"[bench] train {pair_name}: done", flush=True)
    return records


def eval_records(args, modes) -> list[dict]:
    pair = PAIRS[args.eval_pair]
    steps = {}
    for i, settings in enumerate(EVAL_SETTINGS):
        for mode in modes:
            if (mode is REFERENCE and settings is not REFERENCE_SETTING) or mode.grad_checkpoint:
                continue  # the reference mode is timed on the paper's sampling setting only
            steps[(i, mode.name)] = evaluation_step(pair, mode, settings, args.device, args.eval_batch, args.width)
    records = []
    for (i, mode_name), fields in measure(steps, args, args.eval_batch).items():
        settings = EVAL_SETTINGS[i]
        records.append({"kind": "eval", "pair": args.eval_pair, "mode": mode_name,
                        "setting": {"sampler": settings.sampler, "steps": settings.steps,
                                    "cfg_scale": settings.cfg_scale, "num_sampling": settings.num_sampling,
                                    "batch": args.eval_batch, "width": args.width}, **fields})
    print("[bench] eval: done", flush=True)
    return records


def curve_records(args, modes) -> list[dict]:
    """Loss per step of a short GenDD run, reference vs the last (fastest) mode, same start and data."""
    from curve import loss_curve
    pair = PAIRS[args.eval_pair]
    fastest = [m for m in modes if not m.grad_checkpoint][-1]
    curves = {mode.name: loss_curve(pair, mode, args.device, args.curve_steps, args.batch, args.width)
              for mode in (REFERENCE, fastest)}
    return [{"kind": "loss_curve", "pair": args.eval_pair, "mode": name, "setting": {"steps": args.curve_steps,
             "batch": args.batch}, "losses": losses} for name, losses in curves.items()]


def main(argv=None):
    args = parse(argv)
    torch.manual_seed(0)
    modes = modes_for(args)
    meta = {"device": device_name(args.device), "torch": torch.__version__, "python": platform.python_version(),
            "load_average_start": list(_load_average()), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "warmup": args.warmup, "repeats": args.repeats}
    pairs = [] if args.skip_train else args.pairs.split(",")
    parts = [lambda: train_records(args, modes, pairs[:1])] if pairs else []
    parts += [] if args.skip_eval else [lambda: eval_records(args, modes)]
    parts += [lambda: curve_records(args, modes)] if args.curve_steps else []
    parts += [] if args.skip_loader else [lambda: loader_records(args.device)]
    parts += [lambda: train_records(args, modes, pairs[1:])] if len(pairs) > 1 else []
    records = []
    for part in parts:  # the most telling parts first; results are written after each part
        records += part()
        write(args, meta, records)
    print(markdown_report(meta, records))
    print(f"[bench] records: {args.out}; table: {args.table}")


def write(args, meta: dict, records: list[dict]) -> None:
    meta["load_average_end"] = list(_load_average())
    for record in records:
        record["device"] = meta["device"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"meta": meta, "records": records}, indent=1))
    Path(args.table).write_text(markdown_report(meta, records))


def _load_average():
    try:
        return tuple(round(x, 2) for x in __import__("os").getloadavg())
    except OSError:
        return ()


if __name__ == "__main__":
    main()
