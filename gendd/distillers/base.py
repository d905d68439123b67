"""The distiller contract shared by every method (GenDD, KD, DKD, IKL-KD, the student alone).

Models (students and teachers) expose ``forward_features(x)``, the pooled penultimate
feature (B, D), and ``fc``, their final ``nn.Linear``, with
``forward(x) == fc(forward_features(x))``.

A distiller is an ``nn.Module`` that owns the student (``self.student``) and its own loss
modules; the frozen teacher is reachable as ``self.teacher`` but is *not* a registered
submodule, so its weights stay out of the distiller's ``state_dict`` and out of every
checkpoint (they live in the teacher's own file). ``.to()``/``.cuda()``/``.half()`` move it
along with the distiller. Frozen parts stay in eval mode under ``train()``.

* ``forward(images, labels)`` in train mode returns a dict of named scalar loss terms; the
  engine back-propagates their sum and logs each term. Methods whose loss reads the teacher's
  pooled feature (``reads_teacher_features``, GenDD) also take ``teacher_features=f_t``
  (cached, or from a teacher run elsewhere) and then need no teacher module.
* ``forward(images)`` in eval mode returns logits: a tensor, or a dict of named logits for
  methods with several read-outs (GenDD: ``{"sampled": ..., "probe": ...}``).
* ``start_epoch(epoch)`` / ``end_epoch(epoch)`` are called by the engine around every
  epoch (1-based) on every rank; methods with epoch-dependent weights or statistics
  override them.
* ``param_groups(weight_decay)`` returns optimiser parameter groups of the trainable
  parameters; the default puts ``weight_decay`` on every trainable parameter.
* ``graph_key()``: the host values (not tensors) the training step reads, e.g. an epoch-dependent
  loss weight; a captured step (``--cuda_graph``) is replayed while it stays the same. Default:
  the epoch (captured again every epoch); methods whose step ignores the epoch return None.
* ``evaluation(epoch, last)``: a context in which the engine's evaluation after ``epoch`` runs
  (GenDD picks its read-outs and sampling setting there); the default changes nothing.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

from .contract import check_contract, check_features


class Distiller(nn.Module):
    def __init__(self, student: nn.Module, teacher: nn.Module | None = None):
        super().__init__()
        self.student = student
        if teacher is not None:
            check_contract(teacher, "teacher")
            teacher.requires_grad_(False)
            teacher.eval()
        self._teacher = [teacher]  # a list hides it from nn.Module registration
        self.epoch = 1

    @property
    def teacher(self) -> nn.Module | None:
        return self._teacher[0]

    def _apply(self, fn, recurse=True):
        super()._apply(fn, recurse)
        if self.teacher is not None:
            self.teacher._apply(fn, recurse)
        return self

    def train(self, mode: bool = True):
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def end_epoch(self, epoch: int) -> None:
        pass

    def graph_key(self) -> object:
        return self.epoch

    def evaluation(self, epoch: int, last: bool):
        return contextlib.nullcontext()

    def param_groups(self, weight_decay: float) -> list[dict]:
        params = [p for p in self.parameters() if p.requires_grad]
        return [{"params": params, "weight_decay": weight_decay}]

    def teacher_outputs(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(pooled feature f_t, logits) of the frozen teacher, computed under inference mode
        and returned as ordinary tensors so that losses may save them for backward."""
        if self.teacher is None:
            raise RuntimeError(f"{type(self).__name__} was built without a teacher; training needs one"
                               + (" (or the teacher's features: distiller(images, labels, teacher_features=f_t))"
                                  if self.reads_teacher_features else ""))
        with torch.inference_mode():
            feat = check_features(self.teacher.forward_features(images), self.teacher.fc, "teacher")
            logits = self.teacher.fc(feat)
        return feat.clone(), logits.clone()

    reads_teacher_features = False  # methods whose loss reads f_t set it and take ``teacher_features=``

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None,
                teacher_features: torch.Tensor | None = None):
        if not self.training:
            return self.forward_eval(images)
        if teacher_features is None:
            return self.forward_train(images, labels)
        if not self.reads_teacher_features:
            raise TypeError(f"{type(self).__name__} reads the teacher's logits, not its features: give it the teacher "
                            f"module (or apply the loss functions of gendd.losses to cached teacher logits)")
        return self.forward_train(images, labels, teacher_features=teacher_features)

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward_eval(self, images: torch.Tensor):
        return self.student(images)
