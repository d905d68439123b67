"""Eager, captured (``--cuda_graph``) and compiled training steps of resnet32x4 -> resnet8x4: wall
time, summed CUDA kernel time, GPU busy and images/s, GenDD and KD, fast mode (bf16 on CUDA).

    python bench/capture_step.py [--batches 64,512] [--width 1024] [--steps 20] [--json rows.json] [--out table.md]
                                 [--modes eager,captured,compiled] [--warmup 4] [--compile_backend inductor]

"eager" is the engine's eager step (``bench/workloads.optimisation_step``: forward, backward, the
fused optimiser); "captured" the engine's ``StepProgram`` replayed by ``CapturedStep`` (a CUDA graph
on CUDA; on the CPU the same program runs eagerly, no kernel times); "compiled" the captured step
with GenDD's ``compile_head`` (the head network and its loss under torch.compile) and, for KD, the
student's forward under torch.compile (KD has no such flag: what compiling it would give). The
loss gap: the largest relative difference of the loss between the captured (or compiled) step and
the same program run eagerly, over 8 steps from the same weights and seeds. Rows are written to
``--json``/``--out`` as they are measured (a time limit keeps the rows already measured).
``--compile_backend`` other than inductor (e.g. aot_eager: no code generation) checks the path
quickly on a CPU; its times mean nothing.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "GenDD_cifar")]
from timing import wall_and_kernel_ms  # noqa: E402
from workloads import FAST, PAIRS, build_gendd, build_zoo_model, optimisation_step  # noqa: E402

from gendd.distillers.kd import KD  # noqa: E402
from gendd.engine.capture import CapturedStep, StepProgram, set_device_draws  # noqa: E402
from gendd.engine.optim import build_optimizer  # noqa: E402

MODES = ("eager", "captured", "compiled")


BACKEND = {"name": "inductor"}


def build(method: str, batch: int, width: int, device: torch.device, compiled: bool):
    pair = PAIRS["resnet32x4->resnet8x4"]
    torch.manual_seed(0)
    backend = BACKEND["name"]
    if method == "gendd":
        distiller = build_gendd(pair, FAST, width, compile_head=compiled and backend == "inductor")
        name, lr = "adamw", 1e-4
        if compiled and backend != "inductor":  # what compile_head does, with another backend
            distiller._compiled["loss"] = torch.compile(distiller.rows_loss, backend=backend)
    else:
        distiller = KD(build_zoo_model("cifar", pair.student, 100), build_zoo_model("cifar", pair.teacher, 100))
        name, lr = "sgd", 1e-3
        if compiled:
            distiller.student.forward = torch.compile(distiller.student.forward, backend=backend)
    distiller = distiller.to(device).to(memory_format=torch.channels_last).train()
    optimizer = build_optimizer(distiller.param_groups(5e-4), name, lr)
    images = torch.randn(batch, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 100, (batch,), device=device)
    return distiller, optimizer, images, labels


def autocast_of(device: torch.device):
    return (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if device.type == "cuda" else contextlib.nullcontext


def program_runner(method, batch, width, device, compiled: bool, use_graph: bool):
    """(runner, program) of the engine's captured step."""
    distiller, optimizer, images, labels = build(method, batch, width, device, compiled)
    set_device_draws(distiller)
    program = StepProgram(distiller, distiller, optimizer, autocast_of(device))
    runner = CapturedStep(program, use_graph=use_graph and device.type == "cuda")
    return (lambda: runner(images, labels)), program


def step_function(method, batch, width, device, mode: str):
    if mode == "eager":
        distiller, optimizer, images, labels = build(method, batch, width, device, False)
        return lambda: optimisation_step(distiller, optimizer, FAST, images, labels)
    return program_runner(method, batch, width, device, mode == "compiled", use_graph=True)[0]


def release(device):
    """Free the last step's model and graph before the next is built."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def loss_gap(method, batch, width, device, compiled: bool, steps: int = 8) -> float:
    """Largest relative gap between the losses of the graph (compiled or not) and of the same program run
    eagerly without compile (same weights and seeds)."""
    curves = []
    for use_graph in (False, True):
        step, program = program_runner(method, batch, width, device, compiled and use_graph, use_graph)
        losses = []
        for i in range(steps):  # seeded per step: a replay reads the generator's seed/offset when it runs
            torch.manual_seed(100 + i)
            step()
            losses.append(sum(v.float() for v in program.last.values()).item())
        curves.append(losses)
    return max(abs(a - b) / max(abs(a), 1e-12) for a, b in zip(*curves))


def table(rows: list[dict], header: str) -> str:
    lines = [header, "", "| batch | method | step | wall ms/step | GPU kernels ms/step | GPU busy | images/s "
             "| vs eager |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        kernels = f"{r['kernel_ms']:.2f}" if r["kernel_ms"] is not None else "–"
        busy = f"{r['kernel_ms'] / r['wall_ms']:.1%}" if r["kernel_ms"] is not None else "–"
        ratio = f"{r['vs_eager']:.2f}×" if r.get("vs_eager") else ""
        lines.append(f"| {r['batch']} | {r['method']} | {r['step']} | {r['wall_ms']:.2f} | {kernels} | {busy} | "
                     f"{r['images_s']:.0f} | {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", default="64,512")
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=4, help="steps before the timed ones (CUDA: at least 4)")
    p.add_argument("--compile_backend", default="inductor")
    p.add_argument("--gap_steps", type=int, default=8, help="steps of the loss-gap check")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated, of " + ", ".join(MODES))
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--json", default=None, help="write the rows and loss gaps here (JSON)")
    p.add_argument("--out", default=None, help="write the Markdown table here")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES) or "eager" not in modes:
        p.error(f"--modes takes eager (required) and any of captured, compiled; got {args.modes!r}")
    batches = [int(b) for b in args.batches.split(",")]
    BACKEND["name"] = args.compile_backend
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    header = (f"Device: {name}; torch {torch.__version__}; width {args.width}, M 30, bf16 autocast on CUDA; mean of "
              f"{args.steps} steps after {args.warmup} warm-up, kernels from 3 profiled steps; compiled: "
              f"{args.compile_backend}.")
    result = {"device": name, "torch": torch.__version__, "width": args.width, "rows": [], "loss_gap": {}}

    def save():
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))
        if args.out:
            Path(args.out).write_text(table(result["rows"], header))

    eager_wall = {}
    for mode in modes:  # eager first (the ratios' base), compiled last (its compiles take longest)
        for method, batch in ((m, b) for m in ("gendd", "kd") for b in batches):  # GenDD first
            wall, kernels = wall_and_kernel_ms(step_function(method, batch, args.width, device, mode), device,
                                               args.steps, args.warmup)
            eager_wall.setdefault((batch, method), wall)
            result["rows"].append({"batch": batch, "method": method, "step": mode, "wall_ms": wall,
                                   "kernel_ms": kernels, "images_s": batch / wall * 1e3,
                                   "vs_eager": eager_wall[(batch, method)] / wall if mode != "eager" else None})
            print(table(result["rows"][-1:], "").splitlines()[-1], flush=True)
            save()
            release(device)
        for method in ("gendd", "kd") if mode != "eager" else ():
            gap = loss_gap(method, batches[0], args.width, device, mode == "compiled", args.gap_steps)
            result["loss_gap"][f"{method} {mode}"] = gap
            print(f"loss gap {method} {mode}: {gap:.2e}", flush=True)
            save()


if __name__ == "__main__":
    main()
