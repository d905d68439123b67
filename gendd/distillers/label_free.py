"""GenDD without labels (CC3M, docs/method.md §4): λ = 0, the target is the teacher feature f_t itself.

Nothing trains the student's final layer without labels (the probe needs them), so it is
frozen: under DDP every trainable parameter then receives a gradient at every step.
Evaluation reports the sampled path only, logits = W_t·f̂ + b_t; the untrained fc would make a
"probe" accuracy meaningless.
"""
from __future__ import annotations

import torch

from ..validation import Check
from .gendd import FLAGS as GENDD_FLAGS
from .gendd import GenDD
from .registry import Flag, register, require_valid

SMOOTH = Flag("smooth", "λ: always 0 here (no class centres without labels)",
              check=Check(lambda v: v == 0, "must be 0: label-free GenDD has no class centres to contract toward; "
                                            "use --smooth 0"))
FLAGS = tuple(SMOOTH if f.name == "smooth" else f for f in GENDD_FLAGS)


@register("gendd_label_free", family="gendd", label="GenDD (label-free)", flags=FLAGS)
class LabelFreeGenDD(GenDD):
    """GenDD's flags, with λ (``smooth``) 0: nothing else is allowed."""
    has_probe = False

    def __init__(self, student, teacher=None, *, smooth: float = 0.0, **kwargs):
        require_valid(FLAGS, smooth=smooth)
        super().__init__(student, teacher, smooth=smooth, **kwargs)
        if self.sampling.num_sampling < 1:
            raise ValueError("label-free GenDD is evaluated through sampling only: use --num_sampling >= 1")
        self.student.fc.requires_grad_(False)

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None,
                      teacher_features: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        refuse_labels(labels)  # before any forward
        return super().forward_train(images, None, teacher_features)

    def feature_losses(self, f_s: torch.Tensor, f_t: torch.Tensor,
                       labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        refuse_labels(labels)
        return super().feature_losses(f_s, f_t, None)

    def forward_eval(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.projector(self.student.forward_features(images))
        return {"sampled": self.teacher_fc(self.sample_features(z, self.sampling_generator))}


def refuse_labels(labels) -> None:
    if labels is not None:
        raise ValueError("label-free GenDD got labels; feed it an unlabelled batch source")
