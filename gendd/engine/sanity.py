"""Checks that keep a run from training on bad labels or ending with a useless result.

* ``check_labels``: integer class labels outside [0, number of classes) stop the run with
  ``LabelOutOfRange`` (exit 2) before they reach a cross-entropy;
* ``check_useful``: the rule for "training really took place". A run ends in success (final.pth,
  summary.json, exit 0) only when

  1. at least one optimiser step was taken,
  2. at most half of its steps (``MAX_SKIPPED_SHARE``) were skipped, for a non-finite loss or an
     fp16 gradient overflow (a working recipe skips none, or a handful in a long run; a learning
     rate far too high skips most while staying under ``--max_nonfinite`` in a row), and
  3. every floating-point tensor of its weights is finite and at most ``WEIGHT_BOUND`` (1e8) in
     magnitude (trained networks, BatchNorm statistics included, stay orders of magnitude
     below it; a diverged run's weights reach 1e20 and beyond);

  otherwise it raises ``NonFiniteLoss`` (exit 3) and writes no final.pth. Non-finite tensors the
  run does not train (the teacher's classifier copied into GenDD, weights loaded from a file) are
  blamed on the file they came from, not on the learning rate;
* ``weight_problem``: rule 3 alone, also checked before a best.pth is written;
* ``NothingToTrain``: the batch source yields no step per epoch (exit 2).
"""
from __future__ import annotations

import math

import torch

from ..validation import BadInput

MAX_SKIPPED_SHARE = 0.5
WEIGHT_BOUND = 1e8


class NonFiniteLoss(RuntimeError):
    """Too many consecutive non-finite losses, or a run whose result would be useless (see
    ``check_useful``): no final.pth is written."""


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


def check_useful(distiller, steps: int, nonfinite: int, overflowed: int = 0) -> None:
    """Refuse to write a final.pth unless training really took place (the module's rule): of
    ``steps`` steps, ``nonfinite`` were skipped for a non-finite loss and ``overflowed`` by the
    fp16 gradient scaler."""
    skipped = nonfinite + overflowed
    if steps - skipped < 1:
        raise NonFiniteLoss(f"no optimiser step was taken: all {steps} step(s) were skipped (a non-finite "
                            f"loss, or an fp16 gradient overflow at every loss scale), so the model is untrained "
                            f"and no final.pth is written. Lower the learning rate or check the data and the teacher")
    problems = [weight_problem(distiller)]
    if skipped > MAX_SKIPPED_SHARE * steps:
        problems.insert(0, f"training did not really take place: {skipped} of {steps} steps "
                           f"({100 * skipped / steps:.0f} %) {skip_reasons(nonfinite, overflowed)}, more than "
                           f"{MAX_SKIPPED_SHARE:.0%}" + ("" if problems[0] else ". Lower the learning rate, set a "
                                                         "gradient clip, or check the data and the teacher"))
    problems = [p for p in problems if p]
    if problems:
        raise NonFiniteLoss("; ".join(problems) + ". No final.pth is written (the checkpoints are kept)")


def skip_reasons(nonfinite: int, overflowed: int) -> str:
    """Why the skipped steps were skipped, in words."""
    if not overflowed:
        return "had a non-finite loss and were skipped"
    if not nonfinite:
        return "were skipped by the fp16 gradient scaler (gradient overflow)"
    return f"were skipped ({nonfinite} for a non-finite loss, {overflowed} for an fp16 gradient overflow)"


def weight_problem(distiller) -> str | None:
    """Why the weights are unusable (NaN/inf, or above ``WEIGHT_BOUND`` in magnitude), None when
    they are fine. One read-back from the device for all tensors."""
    named = [(n, t) for n, t in distiller.state_dict().items()
             if torch.is_tensor(t) and t.is_floating_point() and t.numel()]
    if not named:
        return None
    peaks = torch.stack([t.detach().abs().amax().float() for _, t in named]).cpu().tolist()
    bad = [n for (n, _), peak in zip(named, peaks) if not math.isfinite(peak)]
    if bad:
        if not set(bad) & trained_names(distiller):
            return (f"weights this run does not train hold NaN or inf ({len(bad)} tensor(s), e.g. {bad[0]}): they "
                    f"come from a loaded file, the teacher (--path_t) or start weights, which is damaged; use an "
                    f"intact file")
        return (f"the trained weights hold NaN or inf ({len(bad)} tensor(s), e.g. {bad[0]}). Lower the learning "
                f"rate, set a gradient clip, or check the data")
    name, peak = max(((n, p) for (n, _), p in zip(named, peaks)), key=lambda item: item[1])
    if peak > WEIGHT_BOUND:
        return (f"the trained weights diverged: |{name}| reaches {peak:.3g}, above {WEIGHT_BOUND:.0e}, a size no "
                f"working recipe comes near. Lower the learning rate or set a gradient clip")
    return None


def trained_names(distiller) -> set[str]:
    """State-dict names the run trains: trainable parameters and every tensor of the student
    (its BatchNorm statistics included)."""
    names = {n for n, p in distiller.named_parameters() if p.requires_grad}
    return names | {n for n in distiller.state_dict() if n.startswith("student.")}
