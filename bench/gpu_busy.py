"""How busy the GPU is during a training step of resnet32x4 -> resnet8x4: wall time against the summed
time of its CUDA kernels (torch.profiler), GenDD and KD, reference and fast bf16 modes, batch 64 and 512.

    python bench/gpu_busy.py      # on a CUDA machine
"""
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT), str(ROOT / "GenDD_cifar")]
from workloads import FAST, PAIRS, REFERENCE, training_step  # noqa: E402

def wall_and_kernel_ms(step) -> tuple[float, float]:
    """Mean wall ms of 10 steps after 3 warm-up, and mean summed CUDA kernel ms of 5 profiled steps."""
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        step()
    torch.cuda.synchronize()
    wall = (time.perf_counter() - start) / 10 * 1e3
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(5):
            step()
        torch.cuda.synchronize()
    return wall, sum(e.self_device_time_total for e in prof.key_averages()) / 5 / 1e3


def main():
    pair = PAIRS["resnet32x4->resnet8x4"]
    for batch in (64, 512):
        for mode in (REFERENCE, FAST):
            for method in ("gendd", "kd"):
                step = training_step(pair, method, mode, torch.device("cuda"), batch, 1024)
                wall, kernels = wall_and_kernel_ms(step)
                print(f"batch {batch:4d} {mode.name:10s} {method:6s} wall {wall:7.2f} ms/step, "
                      f"GPU kernels {kernels:7.2f} ms/step, GPU busy {kernels / wall:5.1%}, "
                      f"{batch / wall * 1e3:8.0f} img/s", flush=True)


if __name__ == "__main__":
    main()
