"""Decoupled knowledge distillation (Zhao et al., CVPR 2022): the two parts of KD.

With b = (p_y, 1 − p_y) the binary target / non-target probabilities of softmax(z/T) and
p̂ = softmax(z/T − 1000·onehot(y)) the distribution over the non-target classes:

    TCKD = T² · mean_b KL(b^t ‖ b^s)        NCKD = T² · mean_b KL(p̂^t ‖ p̂^s)

The caller forms α·TCKD + β·NCKD. Everything is computed in log space, so a confident
teacher (p_y → 1) gives finite values.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .inputs import at_least_float32, check_logit_pair, check_temperature

MASK_LOGIT = 1000.0


def _log_binary(log_probs: torch.Tensor, target: torch.Tensor, target_mask: torch.Tensor) -> torch.Tensor:
    """(B, 2) log of (p_y, 1 − p_y), the second as a log-sum-exp over the non-target classes.
    Fixed shapes only (``gather``/``masked_fill``, no ``masked_select``): no host synchronisation,
    so a CUDA graph can capture it."""
    log_target = log_probs.gather(1, target[:, None]).squeeze(1)
    log_rest = log_probs.masked_fill(target_mask, float("-inf")).logsumexp(dim=1)
    return torch.stack([log_target, log_rest], dim=1)


def _batch_kl(log_student: torch.Tensor, log_teacher: torch.Tensor) -> torch.Tensor:
    """Σ over rows and columns of KL(teacher ‖ student), divided by the number of rows."""
    kl = F.kl_div(log_student, log_teacher, log_target=True, reduction="sum")
    return kl / log_student.shape[0]


def dkd_terms(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, target: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(TCKD, NCKD) for class-index targets y (B,), each a batch mean times T²."""
    check_logit_pair(student_logits, teacher_logits)
    check_temperature(temperature)
    batch, classes = student_logits.shape
    if classes < 2:
        raise ValueError(f"DKD needs at least 2 classes, got {classes}")
    if target.shape != (batch,) or target.is_floating_point():
        raise ValueError(f"target must be ({batch},) class indices, got {tuple(target.shape)} {target.dtype}")
    target_mask = F.one_hot(target, classes).bool()
    scaled_s = at_least_float32(student_logits) / temperature
    scaled_t = at_least_float32(teacher_logits) / temperature

    log_bin_s = _log_binary(F.log_softmax(scaled_s, dim=1), target, target_mask)
    log_bin_t = _log_binary(F.log_softmax(scaled_t, dim=1), target, target_mask)
    tckd = _batch_kl(log_bin_s, log_bin_t)

    log_rest_s = F.log_softmax(scaled_s - MASK_LOGIT * target_mask, dim=1)
    log_rest_t = F.log_softmax(scaled_t - MASK_LOGIT * target_mask, dim=1)
    nckd = _batch_kl(log_rest_s, log_rest_t)
    return tckd * temperature**2, nckd * temperature**2
