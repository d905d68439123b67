"""IKL-KD: CE + min(epoch/warmup, 1)·(β·wMSE + α·SCE) (see ``gendd.losses.ikl``).

The wMSE pair weights are w = p pᵀ with, per sample,
* without GI: p = softmax(z^t/T2) (T2 = 100 on CIFAR);
* with GI ("global information"): p = row y of the class prior, the previous epoch's per-class
  mean of softmax(z^t/T2) over its training samples (uniform 1/C during epoch 1; a class seen
  in no sample of an epoch keeps its row). ImageNet uses GI with T2 = 1.

The GI running sums and counts are buffers holding the sums over *every* rank: each batch's
per-class sums are all-reduced as they are added (one (C, C+1) all-reduce per step when
torch.distributed is initialised), so every rank holds the same global sums and a checkpoint
written mid-epoch by rank 0 resumes the statistics exactly, under any number of ranks. DDP is
told to ignore them (no need to broadcast what every rank already holds); this holds when the
distiller itself is the module DDP wraps.
With 2-D (soft) labels, the prior row is the label's argmax and CE is the soft-target CE.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from ..losses import classification_loss, hard_labels, sce_loss, weighted_pairwise_mse
from ..losses.inputs import at_least_float32
from ..validation import above
from .base import Distiller
from .registry import Flag, register, require_valid
from .shared_flags import LOSS_WARMUP, TEMPERATURE, loss_weight
from .warmup import warmup_factor

ACCUMULATORS = ("prior_sum", "prior_count")


FLAGS = (
    loss_weight("ikl_alpha", "IKL: weight of the SCE term", param="alpha"),
    loss_weight("ikl_beta", "IKL: weight of the wMSE term", param="beta"),
    TEMPERATURE,
    Flag("ikl_T2", "IKL: temperature of the wMSE weights", param="temperature2", check=above(0)),
    Flag("ikl_gi", "IKL: wMSE weights from the per-class prior (GI)", param="gi"),
    LOSS_WARMUP)


@register("ikl", family="baseline", label="IKL-KD", flags=FLAGS)
class IKL(Distiller):
    """Losses {"ce": CE, "ikl": min(epoch/warmup, 1)·(β·wMSE + α·SCE)}; epoch is ``self.epoch``."""

    def __init__(
        self,
        student: nn.Module,
        teacher: nn.Module | None = None,
        alpha: float = 1.0,
        beta: float = 8.0,
        temperature: float = 4.0,
        temperature2: float = 100.0,
        warmup_epochs: float = 20.0,
        gi: bool = False,
    ):
        super().__init__(student, teacher)
        require_valid(FLAGS, alpha=alpha, beta=beta, temperature=temperature, temperature2=temperature2,
                      warmup_epochs=warmup_epochs)
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.temperature2 = temperature2
        self.warmup_epochs = warmup_epochs
        self.gi = gi
        if gi:
            self._add_prior_buffers(self._num_classes(student))

    @staticmethod
    def _num_classes(student: nn.Module) -> int:
        fc = getattr(student, "fc", None)
        if not isinstance(fc, nn.Linear):
            raise ValueError("IKL with gi=True reads the class count from the student's `fc` nn.Linear; none found")
        return fc.out_features

    def _add_prior_buffers(self, num_classes: int) -> None:
        self.register_buffer("class_prior", torch.full((num_classes, num_classes), 1.0 / num_classes))
        self.register_buffer("prior_sum", torch.zeros(num_classes, num_classes))
        self.register_buffer("prior_count", torch.zeros(num_classes, dtype=torch.long))
        nn.parallel.DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(self, list(ACCUMULATORS))

    def forward_train(self, images: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        _, teacher_logits = self.teacher_outputs(images)
        student_logits = self.student(images)
        ce = classification_loss(student_logits, labels)
        teacher_probs = torch.softmax(at_least_float32(teacher_logits) / self.temperature2, dim=1)
        if self.gi:
            rows = hard_labels(labels)
            weights = self.class_prior[rows]
            self._accumulate(rows, teacher_probs)
        else:
            weights = teacher_probs
        wmse = weighted_pairwise_mse(student_logits, teacher_logits, weights)
        sce = sce_loss(student_logits, teacher_logits, self.temperature)
        weight = warmup_factor(self.epoch, self.warmup_epochs)
        return {"ce": ce, "ikl": weight * (self.beta * wmse + self.alpha * sce)}

    @torch.no_grad()
    def _accumulate(self, rows: torch.Tensor, teacher_probs: torch.Tensor) -> None:
        """Add the batch's per-class sums of the teacher softmax and per-class counts, summed over ranks."""
        batch = torch.zeros(self.prior_sum.shape[0], self.prior_sum.shape[1] + 1, dtype=self.prior_sum.dtype,
                            device=self.prior_sum.device)
        batch[:, :-1].index_add_(0, rows, teacher_probs.to(batch.dtype))
        batch[:, -1].index_add_(0, rows, torch.ones_like(rows, dtype=batch.dtype))
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(batch)
        self.prior_sum += batch[:, :-1]
        self.prior_count += batch[:, -1].round().to(self.prior_count.dtype)

    @torch.no_grad()
    def end_epoch(self, epoch: int) -> None:
        """Replace the prior by this epoch's per-class means (the sums already span every rank), then reset."""
        if not self.gi:
            return
        seen = self.prior_count > 0
        means = self.prior_sum[seen] / self.prior_count[seen].unsqueeze(1)
        self.class_prior[seen] = means.to(self.class_prior.dtype)
        self.prior_sum.zero_()
        self.prior_count.zero_()
