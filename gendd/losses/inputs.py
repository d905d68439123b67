"""Inputs of the baseline losses: shape checks (a ValueError naming the problem) and precision
(half / bfloat16 logits are computed on in float32; float32 and float64 stay as they are)."""
from __future__ import annotations

import torch


def check_logit_pair(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> None:
    """Student and teacher logits must both be (B, C) with the same shape."""
    if student_logits.dim() != 2 or teacher_logits.dim() != 2:
        raise ValueError(
            f"logits must be 2-D (batch, classes); got student {tuple(student_logits.shape)} "
            f"and teacher {tuple(teacher_logits.shape)}"
        )
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits {tuple(teacher_logits.shape)} "
            "differ in shape; student and teacher must predict the same classes"
        )


def check_temperature(temperature: float, name: str = "temperature") -> None:
    if not temperature > 0:
        raise ValueError(f"{name} must be positive, got {temperature}")


def at_least_float32(x: torch.Tensor) -> torch.Tensor:
    return x if x.dtype in (torch.float32, torch.float64) else x.float()
