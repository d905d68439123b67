"""Vanilla knowledge distillation (Hinton et al.)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .inputs import at_least_float32, check_logit_pair, check_temperature


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """T² · mean_b KL(softmax(z^t_b/T) ‖ softmax(z^s_b/T)), the KL summed over classes.

    Its gradient w.r.t. z^s is T·(softmax(z^s/T) − softmax(z^t/T))/B. Unweighted: the caller
    applies the KD weight.
    """
    check_logit_pair(student_logits, teacher_logits)
    check_temperature(temperature)
    log_q_student = F.log_softmax(at_least_float32(student_logits) / temperature, dim=1)
    log_q_teacher = F.log_softmax(at_least_float32(teacher_logits) / temperature, dim=1)
    kl = F.kl_div(log_q_student, log_q_teacher, log_target=True, reduction="sum")
    return kl / student_logits.shape[0] * temperature**2
