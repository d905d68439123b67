"""Baseline distillation losses: pure functions of logits (and labels or weights), no state.

Each returns an unweighted batch-mean scalar; the distillers apply the method's weights.
"""
from .ce import classification_loss, hard_labels, soft_target_cross_entropy
from .dkd import dkd_terms
from .ikl import sce_loss, weighted_pairwise_mse
from .kd import kd_loss

__all__ = [
    "classification_loss",
    "dkd_terms",
    "hard_labels",
    "kd_loss",
    "sce_loss",
    "soft_target_cross_entropy",
    "weighted_pairwise_mse",
]
