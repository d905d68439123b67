"""Seconds per training step of GenDD, on the resnet32x4 → resnet8x4 shapes (SPEC §4, CIFAR).

    python bench/step.py [--device cpu|cuda] [--warmup 3] [--repeats 5] [--bench loss]

"loss": the GenDD diffusion loss alone — row building, condition dropout, the denoiser's forward
and backward and the loss — for batch 64, Dt = 256 (N = 4 tokens), Ds = 256, M = 30 (7680 rows),
width 1024, depth 3, fp32. Prints the median of ``--repeats`` timed steps after ``--warmup``.

Extension point: whole-step timings (student and teacher forward, optimiser step, …) register a
function ``(args) -> Callable[[], None]`` returning one step in ``BENCHES`` below.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
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
                  width=1024, depth=3).to(args.device).train()
    z = torch.randn(BATCH, STUDENT_DIM, device=args.device, requires_grad=True)
    target = torch.randn(BATCH, TEACHER_DIM, device=args.device)

    def step():
        model.zero_grad(set_to_none=True)
        model.diffusion_loss(z, target).backward()
    return step


BENCHES: dict[str, Callable[[argparse.Namespace], Callable[[], None]]] = {"loss": gendd_loss_step}


def seconds_per_step(step: Callable[[], None], device: torch.device, warmup: int, repeats: int) -> float:
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bench", choices=sorted(BENCHES), default="loss")
    args = parser.parse_args(argv)
    args.device = torch.device(args.device)
    torch.manual_seed(0)
    seconds = seconds_per_step(BENCHES[args.bench](args), args.device, args.warmup, args.repeats)
    name = torch.cuda.get_device_name(args.device) if args.device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    print(f"{args.bench}: {seconds:.4f} s/step on {name} (median of {args.repeats}, {args.warmup} warm-up)")


if __name__ == "__main__":
    main()
