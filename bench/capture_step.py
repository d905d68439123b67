"""Eager against captured (``--cuda_graph``) training steps of resnet32x4 -> resnet8x4: wall time,
summed CUDA kernel time, GPU busy and images/s, GenDD and KD, fast mode (bf16 on CUDA).

    python bench/capture_step.py [--batches 64,512] [--width 1024] [--steps 10] [--out table.md]

"captured" is the engine's ``StepProgram`` replayed by ``CapturedStep`` (a CUDA graph on CUDA; on
the CPU the same program runs eagerly, no kernel times). It also checks that captured and eager
programs give the same losses for the same starting weights and seed (``loss gap``: the largest
relative difference of the loss over ``--steps`` steps).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "GenDD_cifar")]
from workloads import FAST, PAIRS, build_gendd, build_zoo_model, optimisation_step  # noqa: E402

from gendd.distillers.kd import KD  # noqa: E402
from gendd.engine.capture import CapturedStep, StepProgram, set_device_draws  # noqa: E402
from gendd.engine.optim import build_optimizer  # noqa: E402


def build(method: str, batch: int, width: int, device: torch.device):
    pair = PAIRS["resnet32x4->resnet8x4"]
    torch.manual_seed(0)
    if method == "gendd":
        distiller, name, lr = build_gendd(pair, FAST, width), "adamw", 1e-4
    else:
        distiller = KD(build_zoo_model("cifar", pair.student, 100), build_zoo_model("cifar", pair.teacher, 100))
        name, lr = "sgd", 1e-3
    distiller = distiller.to(device).to(memory_format=torch.channels_last).train()
    optimizer = build_optimizer(distiller.param_groups(5e-4), name, lr)
    images = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 100, (batch,), device=device)
    return distiller, optimizer, images, labels


def step_function(method, batch, width, device, captured: bool):
    """(step(), last loss()) for one mode."""
    distiller, optimizer, images, labels = build(method, batch, width, device)
    if not captured:
        box = {}

        def eager():
            box["loss"] = optimisation_step(distiller, optimizer, FAST, images, labels)
        return eager, lambda: box["loss"]
    set_device_draws(distiller)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else _null
    program = StepProgram(distiller, distiller, optimizer, autocast)
    runner = CapturedStep(program, use_graph=device.type == "cuda")
    return (lambda: runner(images, labels)), (lambda: sum(v.float() for v in program.last.values()))


def _null():
    import contextlib
    return contextlib.nullcontext()


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(step, device, steps: int) -> tuple[float, float | None]:
    """(mean wall ms of ``steps`` steps after 4 warm-up, mean CUDA kernel ms of 3 profiled steps)."""
    for _ in range(4):  # past the capture's warm-up
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    wall = (time.perf_counter() - start) / steps * 1e3
    if device.type != "cuda":
        return wall, None
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(3):
            step()
        sync(device)
    return wall, sum(e.self_device_time_total for e in prof.key_averages()) / 3 / 1e3


def loss_gap(method, batch, width, device, steps: int) -> float:
    """Largest relative gap between eager-program and captured losses over ``steps`` steps (same seeds)."""
    curves = []
    for use_graph in (False, True):
        distiller, optimizer, images, labels = build(method, batch, width, device)
        set_device_draws(distiller)
        autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else _null
        program = StepProgram(distiller, distiller, optimizer, autocast)
        runner = CapturedStep(program, use_graph=use_graph and device.type == "cuda")
        losses = []
        for i in range(steps):  # seeded per step: a replay reads the generator's seed/offset when it runs
            torch.manual_seed(100 + i)
            runner(images, labels)
            losses.append(sum(v.float() for v in program.last.values()).item())
        curves.append(losses)
    return max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(*curves))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", default="64,512")
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", default=None, help="also write the Markdown table here")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    lines = [f"Device: {name}; torch {torch.__version__}; width {args.width}, M 30, bf16 autocast on CUDA; "
             f"mean of {args.steps} steps after 4 warm-up, kernels from 3 profiled steps.", "",
             "| batch | method | step | wall ms/step | GPU kernels ms/step | GPU busy | images/s | captured vs eager |",
             "|---|---|---|---|---|---|---|---|"]
    for batch in (int(b) for b in args.batches.split(",")):
        for method in ("gendd", "kd"):
            walls = {}
            for captured in (False, True):
                step, _ = step_function(method, batch, args.width, device, captured)
                wall, kernels = measure(step, device, args.steps)
                walls[captured] = wall
                busy = f"{kernels / wall:.1%}" if kernels is not None else "–"
                kernel_text = f"{kernels:.2f}" if kernels is not None else "–"
                speed = f"{walls[False] / wall:.2f}×" if captured else ""
                lines.append(f"| {batch} | {method} | {'captured' if captured else 'eager'} | {wall:.2f} | "
                             f"{kernel_text} | {busy} | {batch / wall * 1e3:.0f} | {speed} |")
                print(lines[-1], flush=True)
                del step
    gaps = {m: loss_gap(m, int(args.batches.split(",")[0]), args.width, device, 8) for m in ("gendd", "kd")}
    lines += ["", "Loss gap, captured against the same program run eagerly "
              "(8 steps: 3 warm-up, the capture, 4 replays; same seeds): "
              + ", ".join(f"{m} {g:.2e}" for m, g in gaps.items())]
    print(lines[-1])
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
