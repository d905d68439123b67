"""Improved KL divergence (IKL-KD, Cui et al., "Decoupled Kullback-Leibler Divergence Loss").

    wMSE = (1/B) Σ_b ¼ Σ_{j,k} w_jk ((z^t_j − z^t_k) − (z^s_j − z^s_k))²,   w = p pᵀ per sample
    SCE  = −(1/B) Σ_b Σ_c softmax(z^t/T)_c · log softmax(z^s/T)_c

With d = z^t − z^s and d̄ = Σ_j p_j d_j / Σ_j p_j the double sum has the closed form
Σ_{j,k} p_j p_k (d_j − d_k)² = 2 · Σ_j p_j · Σ_j p_j (d_j − d̄)², so no (B, C, C) tensor is
built (and no cancellation happens for large logits).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .ce import soft_target_cross_entropy
from .inputs import at_least_float32, check_logit_pair, check_temperature


def weighted_pairwise_mse(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """wMSE with pair weights w_jk = p_j p_k; ``weights`` is p, (B, C), non-negative."""
    check_logit_pair(student_logits, teacher_logits)
    if weights.shape != student_logits.shape:
        raise ValueError(
            f"weights p {tuple(weights.shape)} must have the logits' shape {tuple(student_logits.shape)}"
        )
    d = at_least_float32(teacher_logits) - at_least_float32(student_logits)
    p = at_least_float32(weights)
    mass = p.sum(dim=1, keepdim=True)
    d_mean = (p * d).sum(dim=1, keepdim=True) / mass.clamp_min(torch.finfo(p.dtype).tiny)
    per_sample = 0.5 * mass.squeeze(1) * (p * (d - d_mean).square()).sum(dim=1)
    return per_sample.mean()


def sce_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft cross-entropy of the student against the teacher's softened distribution at T."""
    check_logit_pair(student_logits, teacher_logits)
    check_temperature(temperature)
    teacher_probs = F.softmax(at_least_float32(teacher_logits) / temperature, dim=1)
    return soft_target_cross_entropy(at_least_float32(student_logits) / temperature, teacher_probs)
