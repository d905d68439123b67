"""Where a training step's time goes: torch.profiler over GenDD and KD steps on one pair.

    python bench/profile_step.py [--pair resnet32x4->resnet8x4] [--mode fast|reference] [--steps 2]

Prints each step's operators sorted by self time (top ``--top``) and a summary by part:
the diffusion head's matrix products, its element-wise work, the convolutions (student and
teacher), the optimiser and the rest.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workloads import FAST, PAIRS, REFERENCE, training_step  # noqa: E402

GROUPS = {"matrix products (head, fc)": ("aten::mm", "aten::addmm", "aten::bmm", "aten::linear", "aten::matmul"),
          "convolutions": ("aten::convolution", "aten::_convolution", "aten::mkldnn_convolution",
                           "aten::convolution_backward", "aten::cudnn_convolution"),
          "optimiser": ("aten::_fused_adamw_", "aten::_foreach", "Optimizer.step"),
          "batch norm": ("aten::native_batch_norm", "aten::native_batch_norm_backward", "aten::batch_norm")}


def group_of(name: str) -> str:
    for group, prefixes in GROUPS.items():
        if name.startswith(prefixes):
            return group
    return "element-wise and other"


def profile_step(step, steps: int, top: int) -> dict[str, float]:
    step()  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    events = prof.key_averages()
    print(events.table(sort_by="self_cpu_time_total", row_limit=top))
    totals: dict[str, float] = {}
    for e in events:
        totals[group_of(e.key)] = totals.get(group_of(e.key), 0.0) + e.self_cpu_time_total / 1e6 / steps
    return totals


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pair", default="resnet32x4->resnet8x4", choices=sorted(PAIRS))
    p.add_argument("--mode", default="fast", choices=["fast", "reference"])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    mode = FAST if args.mode == "fast" else REFERENCE
    device = torch.device("cpu")
    summary = {}
    for method in ("gendd", "kd"):
        torch.manual_seed(0)
        print(f"== {method}, {mode.name}, {args.pair}, batch {args.batch}")
        summary[method] = profile_step(training_step(PAIRS[args.pair], method, mode, device, args.batch),
                                       args.steps, args.top)
    print("seconds per step by part (self CPU time):")
    for method, totals in summary.items():
        print(f"  {method}: total {sum(totals.values()):.3f} s; " +
              ", ".join(f"{k} {v:.3f}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
