"""Classification losses on hard (1-D class index) or soft (2-D probability) labels."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .inputs import at_least_float32


def soft_target_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """−Σ_c y_c · log softmax(z)_c, averaged over the batch (y: (B, C) rows of probabilities)."""
    if target_probs.shape != logits.shape:
        raise ValueError(
            f"soft targets {tuple(target_probs.shape)} must have the logits' shape {tuple(logits.shape)}"
        )
    log_probs = F.log_softmax(at_least_float32(logits), dim=1)
    return -(at_least_float32(target_probs) * log_probs).sum(dim=1).mean()


def classification_loss(logits: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """Cross-entropy for 1-D class-index labels, soft-target cross-entropy for 2-D labels."""
    if labels is None:
        raise ValueError("this loss needs labels, got None; pass the batch labels (or use an unsupervised method)")
    if labels.dim() == 1:
        return F.cross_entropy(at_least_float32(logits), labels)
    if labels.dim() == 2:
        return soft_target_cross_entropy(logits, labels)
    raise ValueError(f"labels must be 1-D class indices or 2-D class probabilities, got shape {tuple(labels.shape)}")


def hard_labels(labels: torch.Tensor) -> torch.Tensor:
    """Class indices: the labels themselves (1-D) or the argmax of soft labels (2-D)."""
    if labels.dim() == 1:
        return labels
    if labels.dim() == 2:
        return labels.argmax(dim=1)
    raise ValueError(f"labels must be 1-D class indices or 2-D class probabilities, got shape {tuple(labels.shape)}")
