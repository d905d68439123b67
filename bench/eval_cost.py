"""The cost of one evaluation during GenDD training at each sampling setting, and of the whole
recipe's evaluations under each evaluation plan.

    python bench/eval_cost.py [--images 10000] [--width 1024] [--epochs 240] [--sampled_every 10] [--json out.json]

resnet32x4 -> resnet8x4 (head width ``--width``, random weights made non-trivial), the engine's
``evaluate`` on ``--images`` synthetic test images already on the device, batches of 256 (the
CIFAR scripts' evaluation batch), bf16 autocast on CUDA (``--amp``). Settings: the probe alone
(no sampling), the fast preset, the original implementation's per-epoch setting (ancestral 100
steps, 1 draw, guidance 2) and the paper's sampling setting (ancestral 100 steps, 5 draws,
guidance 2). Seconds per evaluation are the median of ``--repeats`` runs after one warm-up batch.

Plans over ``--epochs`` epochs: "cheap" (the CIFAR launchers' default): the probe at every epoch,
the fast preset every ``--sampled_every`` epochs, the paper's setting after the last; "original":
the original implementation's per-epoch setting at every epoch.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "GenDD_cifar")]
from workloads import FAST, PAIRS, _wake, build_gendd  # noqa: E402

from gendd.cli.gendd import SAMPLING_PRESETS, preset_settings  # noqa: E402
from gendd.distillers.gendd import SamplingSettings  # noqa: E402
from gendd.engine.evaluate import evaluate  # noqa: E402

BASE = SamplingSettings(num_sampling=1, steps=100, cfg_scale=2.0, sampler="ancestral")
SETTINGS = {
    "probe": dataclasses.replace(BASE, num_sampling=0),
    "fast preset": preset_settings(BASE, "fast"),
    "original per-epoch": BASE,
    "paper": preset_settings(BASE, "paper"),
}


def plan_evaluations(epochs: int, sampled_every: int) -> dict[str, dict[str, int]]:
    """How many evaluations of each setting a plan runs over ``epochs`` epochs (one per epoch)."""
    sampled = sum(1 for e in range(1, epochs) if sampled_every and e % sampled_every == 0)
    return {"cheap": {"probe": epochs - 1 - sampled, "fast preset": sampled, "paper": 1},
            "original": {"original per-epoch": epochs}}


def synthetic_batches(images: int, device: torch.device, batch: int = 256):
    g = torch.Generator(device="cpu").manual_seed(0)
    out = []
    for start in range(0, images, batch):
        n = min(batch, images - start)
        x = torch.randn(n, 3, 32, 32, generator=g).to(device).contiguous(memory_format=torch.channels_last)
        out.append((x, torch.randint(0, 100, (n,), generator=g).to(device)))
    return out


def seconds_per_evaluation(distiller, batches, device, repeats: int) -> float:
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else \
        contextlib.nullcontext
    evaluate(distiller, batches[:1], device, None, autocast, True)  # warm-up
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        evaluate(distiller, batches, device, None, autocast, True)
        times.append(time.perf_counter() - start)  # evaluate reads its counts back: synchronised
    return statistics.median(times)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=240)
    p.add_argument("--sampled_every", type=int, default=10)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)
    distiller = build_gendd(PAIRS["resnet32x4->resnet8x4"], FAST, args.width).to(device)
    distiller = distiller.to(memory_format=torch.channels_last).eval()
    _wake(distiller)
    batches = synthetic_batches(args.images, device)
    result = {"device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "images": args.images, "width": args.width, "settings": {}, "plans": {}}
    for name, setting in SETTINGS.items():
        distiller.sampling = setting
        seconds = seconds_per_evaluation(distiller, batches, device, args.repeats)
        result["settings"][name] = {"seconds": seconds, "images_s": args.images / seconds,
                                    **dataclasses.asdict(setting)}
        print(f"{name}: {seconds:.2f} s per evaluation of {args.images} images ({args.images / seconds:.0f} images/s)",
              flush=True)
    for plan, counts in plan_evaluations(args.epochs, args.sampled_every).items():
        total = sum(n * result["settings"][s]["seconds"] for s, n in counts.items())
        result["plans"][plan] = {"evaluations": counts, "minutes": total / 60}
        print(f"plan {plan} over {args.epochs} epochs: {counts}: {total / 60:.1f} min", flush=True)
    result["presets"] = SAMPLING_PRESETS
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
