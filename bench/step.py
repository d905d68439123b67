"""Seconds per training step of GenDD, on the resnet32x4 → resnet8x4 shapes (docs/method.md §4, CIFAR).

    python bench/step.py [--device cpu|cuda] [--warmup 3] [--repeats 5] [--bench ratio] [--reference]

"loss": the GenDD diffusion loss alone — row building, condition dropout, the denoiser's forward
and backward and the loss — for batch 64, Dt = 256 (N = 4 tokens), Ds = 256, M = 30 (7680 rows),
width 1024, depth 3, fp32. "gendd" / "kd": one whole training step (student and teacher
forward, losses, backward, optimiser step; see bench/workloads.py) on resnet32x4 → resnet8x4,
batch 64, M 30, fp32. "ratio" (default) times both whole steps interleaved and prints their
seconds and the GenDD/KD ratio. ``--reference`` runs GenDD in its reference mode. Prints the
median of ``--repeats`` timed steps after ``--warmup``.

Extension point: register a function ``(args) -> Callable[[], None]`` returning one step in
``BENCHES`` below.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timing import device_name, interleaved_seconds  # noqa: E402
from workloads import FAST_FP32, PAIRS, REFERENCE, training_step  # noqa: E402

from gendd.distillers.gendd import GenDD  # noqa: E402

BATCH, STUDENT_DIM, TEACHER_DIM, CLASSES = 64, 256, 256, 100


class FeatureStub(nn.Module):
    """Stands in for the student: only its fc (Ds → classes) is needed to build GenDD."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(STUDENT_DIM, CLASSES)

    def forward_features(self, x):
        return x


def gendd_loss_step(args) -> Callable[[], None]:
    model = GenDD(FeatureStub(), teacher_fc=(CLASSES, TEACHER_DIM), diffusion_batch_mul=30,
                  width=1024, depth=3, fast=not args.reference).to(args.device).train()
    z = torch.randn(BATCH, STUDENT_DIM, device=args.device, requires_grad=True)
    target = torch.randn(BATCH, TEACHER_DIM, device=args.device)

    def step():
        model.zero_grad(set_to_none=True)
        model.diffusion_loss(z, target).backward()
    return step


def whole_step(method: str) -> Callable[[argparse.Namespace], Callable[[], None]]:
    def build(args):
        mode = REFERENCE if args.reference and method == "gendd" else FAST_FP32
        return training_step(PAIRS["resnet32x4->resnet8x4"], method, mode, args.device, BATCH)
    return build


BENCHES: dict[str, Callable[[argparse.Namespace], Callable[[], None]]] = {
    "loss": gendd_loss_step, "gendd": whole_step("gendd"), "kd": whole_step("kd")}


def seconds_per_step(steps: dict[str, Callable[[], None]], device: torch.device, warmup: int,
                     repeats: int) -> dict[str, float]:
    times = interleaved_seconds(steps, device, warmup, repeats)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bench", choices=sorted(BENCHES) + ["ratio"], default="ratio")
    parser.add_argument("--reference", action="store_true", help="GenDD in its reference mode (fast=False)")
    args = parser.parse_args(argv)
    args.device = torch.device(args.device)
    torch.manual_seed(0)
    names = ["gendd", "kd"] if args.bench == "ratio" else [args.bench]
    seconds = seconds_per_step({n: BENCHES[n](args) for n in names}, args.device, args.warmup, args.repeats)
    where = f"on {device_name(args.device)} (median of {args.repeats}, {args.warmup} warm-up)"
    for name in names:
        print(f"{name}: {seconds[name]:.4f} s/step {where}")
    if args.bench == "ratio":
        mode = "reference mode" if args.reference else "fast mode, fp32"
        print(f"GenDD/KD step ratio: {seconds['gendd'] / seconds['kd']:.2f} (resnet32x4 -> resnet8x4, batch 64, "
              f"M 30, GenDD {mode})")


if __name__ == "__main__":
    main()
