"""Checks that keep a run from training on bad labels or ending with a useless result.

* ``check_labels``: integer class labels outside [0, number of classes) stop the run with
  ``LabelOutOfRange`` (exit 2) before they reach a cross-entropy;
* ``check_useful``: a run whose every step was skipped (non-finite losses) or whose weights hold
  NaN/inf raises ``NonFiniteLoss`` (exit 3) instead of writing final.pth;
* ``NothingToTrain``: the batch source yields no step per epoch (exit 2).
"""
from __future__ import annotations

import torch

from ..validation import BadInput


class NonFiniteLoss(RuntimeError):
    """Too many consecutive non-finite losses, or a run whose result would be useless (every step
    skipped, non-finite weights): no final.pth is written."""


class NothingToTrain(BadInput):
    """The batch source yields no step per epoch (fewer samples than one batch)."""


class LabelOutOfRange(BadInput):
    """A training label outside [0, number of classes)."""


def class_count(distiller) -> int | None:
    """The number of classes of the student's ``fc`` (None when it has no linear fc)."""
    fc = getattr(getattr(distiller, "student", None), "fc", None)
    return fc.out_features if isinstance(fc, torch.nn.Linear) else None


def check_labels(labels, num_classes: int | None, step: int) -> None:
    """Refuse integer class labels outside [0, num_classes) (all -1: a label-free batch). Checked
    on CPU batches only, before they reach the device (a CUDA cross-entropy would assert)."""
    if num_classes is None or not torch.is_tensor(labels) or labels.is_floating_point() or labels.numel() == 0 \
            or labels.device.type != "cpu" or bool((labels == -1).all()):
        return
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        bad = high if high >= num_classes else low
        raise LabelOutOfRange(f"training batch {step} holds label {bad}, outside the model's {num_classes} classes "
                              f"[0, {num_classes - 1}]: the data's labels do not match its class count; check the "
                              f"data files (or the list files) and the class count of --data")


def check_useful(distiller, steps: int, skipped: int) -> None:
    """Refuse to write a final.pth that is untrained or holds non-finite numbers."""
    if steps - skipped < 1:
        raise NonFiniteLoss(f"no optimiser step was taken: all {steps} step(s) were skipped (a non-finite "
                            f"loss, or an fp16 gradient overflow at every loss scale), so the model is untrained "
                            f"and no final.pth is written. Lower the learning rate or check the data and the teacher")
    bad = [name for name, t in distiller.state_dict().items()
           if torch.is_tensor(t) and t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise NonFiniteLoss(f"the trained weights hold NaN or inf ({len(bad)} tensor(s), e.g. {bad[0]}): no final.pth "
                            f"is written. Lower the learning rate, set a gradient clip, or check the data")
