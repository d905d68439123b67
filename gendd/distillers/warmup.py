"""Linear warm-up of a distillation term over the first epochs."""
from __future__ import annotations


def check_warmup_epochs(warmup_epochs: float) -> None:
    if not warmup_epochs > 0:
        raise ValueError(f"warmup_epochs must be positive (1 means full weight from epoch 1), got {warmup_epochs}")


def warmup_factor(epoch: int, warmup_epochs: float) -> float:
    """min(epoch / warmup_epochs, 1) for the 1-based epoch."""
    return min(epoch / warmup_epochs, 1.0)
