"""Timing and peak memory of step functions, measured side by side.

``interleaved_seconds`` warms every step up, then runs the steps in turn, ``repeats`` rounds,
and returns each step's median seconds: on a shared machine every step sees the same load.
``peak_memory_bytes`` is the peak memory of one step: CUDA ``max_memory_allocated`` (reset
before the step), or on CPU the rise of the process' resident-set high-water mark (VmHWM,
reset through /proc/self/clear_refs) above the resident size before the step; run under
MALLOC_MMAP_THRESHOLD_=65536 (sh/bench.sh does) so that freed tensors go back to the system
and the next step's peak is its own.
"""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved_seconds(steps: dict[str, Callable[[], None]], device: torch.device, warmup: int,
                        repeats: int) -> dict[str, list[float]]:
    """{name: [seconds of each timed call]} with the calls of different steps interleaved."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def wall_and_kernel_ms(step: Callable[[], None], device: torch.device, steps: int,
                       warmup: int) -> tuple[float, float | None]:
    """(mean wall ms of ``steps`` calls after ``warmup`` ones, mean summed CUDA kernel ms of 3 profiled calls;
    None on the CPU)."""
    from torch.profiler import ProfilerActivity, profile
    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    wall = (time.perf_counter() - start) / steps * 1e3
    if device.type != "cuda":
        return wall, None
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(3):
            step()
        synchronize(device)
    return wall, sum(e.self_device_time_total for e in prof.key_averages()) / 3 / 1e3


def median(values: list[float]) -> float:
    return statistics.median(values)


def _proc_status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_memory_bytes(step: Callable[[], None], device: torch.device) -> int | None:
    """Peak memory of one call of ``step`` (see the module docstring); None where unmeasurable."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        step()
        synchronize(device)
        return torch.cuda.max_memory_allocated(device)
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        before = _proc_status_kib("VmRSS")
        step()
        return max(0, _proc_status_kib("VmHWM") - before) * 1024
    except OSError:
        return None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({torch.get_num_threads()} threads)"
