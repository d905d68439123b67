"""A training step that cannot be captured (``masked_select`` in its loss, random draws after it)
trained through ``CapturedStep`` on ``device`` and through the eager program: the notices and
how far their weights differ (the CUDA lane runs it in a child process)."""
from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

from gendd.engine.capture import CapturedStep, StepProgram
from gendd.engine.optim import build_optimizer
from helpers.toys import CEDistiller, ToyNet


class MaskedSelectCE(CEDistiller):
    """CE plus noise plus the mean target log-probability picked by ``masked_select``."""

    def forward_train(self, images, labels):
        losses = super().forward_train(images, labels)
        log_probs = self.student(images).log_softmax(dim=1)
        target = log_probs.masked_select(F.one_hot(labels, log_probs.shape[1]).bool())
        return losses | {"target": -0.1 * target.mean()}


def train(device: str, use_graph: bool, steps: int = 6):
    torch.manual_seed(0)
    model = MaskedSelectCE(ToyNet(bn=True), noise=0.1).to(device).train()
    opt = build_optimizer(model.param_groups(5e-4), "sgd", lr=0.1)
    notices = []
    step = CapturedStep(StepProgram(model, model, opt, contextlib.nullcontext), use_graph, notices.append)
    g = torch.Generator().manual_seed(1)
    for i in range(steps):
        images, labels = torch.randn(4, 3, 8, 8, generator=g), torch.randint(0, 4, (4,), generator=g)
        torch.manual_seed(100 + i)
        step(images.to(device), labels.to(device))
    return {k: v.detach().float().cpu() for k, v in model.state_dict().items()}, notices


def fallback_run(device: str) -> dict:
    captured, notices = train(device, use_graph=device == "cuda")
    eager, _ = train(device, use_graph=False)
    worst = max(((captured[k] - eager[k]).abs().max() / eager[k].abs().max().clamp(min=1e-6)).item()
                for k in eager)
    return {"notices": notices, "max_relative_difference": worst}
