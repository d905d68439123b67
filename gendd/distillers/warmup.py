"""Linear warm-up of a distillation term over the first epochs."""
from __future__ import annotations


def warmup_factor(epoch: int, warmup_epochs: float) -> float:
    """min(epoch / warmup_epochs, 1) for the 1-based epoch."""
    return min(epoch / warmup_epochs, 1.0)
