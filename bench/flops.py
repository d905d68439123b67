"""Floating-point operations of one whole training step (torch.utils.flop_counter), GenDD vs KD.

    python bench/flops.py [--pair resnet32x4->resnet8x4] [--mode fast|reference] [--batch 64]

The GenDD/KD FLOP ratio is the step-time ratio that equal arithmetic efficiency would give: a
measured ratio above it is overhead (element-wise work, memory traffic), below it means the
head's matrix products run more efficiently than the convolutions.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workloads import FAST_FP32, PAIRS, REFERENCE, training_step  # noqa: E402


def step_flops(step) -> dict[str, int]:
    """{operator: FLOPs} of one call of ``step`` (matrix products and convolutions, forward and backward)."""
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pair", default="resnet32x4->resnet8x4", choices=sorted(PAIRS))
    p.add_argument("--mode", default="fast", choices=["fast", "reference"])
    p.add_argument("--batch", type=int, default=64)
    args = p.parse_args(argv)
    mode = FAST_FP32 if args.mode == "fast" else REFERENCE
    totals = {}
    for method in ("gendd", "kd"):
        torch.manual_seed(0)
        flops = step_flops(training_step(PAIRS[args.pair], method, mode, torch.device("cpu"), args.batch))
        totals[method] = sum(flops.values())
        print(f"{method}: {totals[method] / 1e9:.1f} GFLOP per step; " +
              ", ".join(f"{k} {v / 1e9:.1f}" for k, v in sorted(flops.items(), key=lambda kv: -kv[1])))
    print(f"GenDD/KD FLOP ratio: {totals['gendd'] / totals['kd']:.2f} ({args.pair}, batch {args.batch}, {mode.name})")


if __name__ == "__main__":
    main()
