"""GenDD's whole training step, this project's fast mode against --reference_mode (the
original implementation's computation), timed side by side in one process on the CPU.

    OMP_NUM_THREADS=1 python bench/cpu_ratio.py [--width 1024] [--batch 64] [--repeats 3] [--root <tree>]

Both steps (resnet32x4 -> resnet8x4, M 30, fp32, 1 thread by default) run interleaved, so that
they see the same machine. Besides wall time it reports the process' CPU time per step, which
a shared machine disturbs much less (other jobs' time slices are not counted; their cache
traffic still is). ``--root`` imports ``gendd`` from another checkout (e.g. an older commit
unpacked with ``git archive``), to measure a before/after pair with the same script.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(step) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--root", default=str(HERE.parent), help="checkout whose gendd is measured")
    args = p.parse_args(argv)
    sys.path[:0] = [str(HERE), args.root, str(Path(args.root) / "GenDD_cifar")]
    import torch
    from workloads import FAST_FP32, PAIRS, REFERENCE, training_step
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pair, device = PAIRS["resnet32x4->resnet8x4"], torch.device("cpu")
    steps = {mode.name: training_step(pair, "gendd", mode, device, args.batch, args.width)
             for mode in (REFERENCE, FAST_FP32)}
    for step in steps.values():
        for _ in range(args.warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            times[name].append(timed(step))
    load = os.getloadavg()
    print(f"code: {args.root}; batch {args.batch}, width {args.width}, M 30, {args.threads} thread(s); "
          f"median of {args.repeats} interleaved calls after {args.warmup} warm-up; load average {load[0]:.1f}")
    medians = {}
    for name, values in times.items():
        medians[name] = [statistics.median(v[i] for v in values) for i in (0, 1)]
        print(f"  {name}: wall {medians[name][0]:.2f} s/step, CPU {medians[name][1]:.2f} s/step "
              f"(wall {[round(v[0], 2) for v in values]})")
    ref, fast = medians[REFERENCE.name], medians[FAST_FP32.name]
    print(f"  fast / reference speed-up: wall {ref[0] / fast[0]:.2f}x, CPU time {ref[1] / fast[1]:.2f}x")


if __name__ == "__main__":
    main()
