"""Learning-rate and Adam-β2 schedules as pure functions of the global step.

Being functions of the step (not stateful scheduler objects), they resume exactly from
the step stored in a checkpoint.

* warmup: lr rises linearly over the first ``warmup_epochs`` epochs, reaching the base lr
  exactly at the end of warm-up (the original implementation's step schedule stayed at
  (warmup−1)/warmup of it; not copied);
* "step": base lr × gamma^(number of milestones ≤ current epoch), epochs 0-based;
* "cosine": half-cosine from the base lr to ``min_lr`` over the steps after warm-up;
* "constant": the base lr after warm-up;
* β2(s) = 0.999 − ½(0.999 − β2_min)(1 + cos(π s / S)) over all S training steps (docs/method.md §3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LRSchedule:
    base_lr: float
    epochs: int
    steps_per_epoch: int
    kind: str = "step"
    warmup_epochs: float = 0.0
    milestones: tuple[int, ...] = field(default=(150, 180, 210))
    gamma: float = 0.1
    min_lr: float = 0.0

    def __post_init__(self):
        if self.kind not in ("step", "cosine", "constant"):
            raise ValueError(f"unknown lr schedule {self.kind!r}; use step, cosine or constant")

    def __call__(self, step: int) -> float:
        warm = int(round(self.warmup_epochs * self.steps_per_epoch))
        if step < warm:
            return self.base_lr * (step + 1) / warm
        if self.kind == "step":
            epoch = step // self.steps_per_epoch
            return self.base_lr * self.gamma ** sum(epoch >= m for m in self.milestones)
        if self.kind == "cosine":
            total = self.epochs * self.steps_per_epoch
            progress = (step - warm) / max(1, total - warm)
            return self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * min(progress, 1.0)))
        return self.base_lr


def beta2_at(step: int, total_steps: int, beta2_min: float, beta2_max: float = 0.999) -> float:
    """Cosine ramp of Adam's β2 from ``beta2_min`` (step 0) to ``beta2_max`` (last step)."""
    return beta2_max - 0.5 * (beta2_max - beta2_min) * (1 + math.cos(math.pi * min(step / max(1, total_steps), 1.0)))
