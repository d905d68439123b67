"""The optimiser update of ``torch.optim.SGD`` / ``AdamW`` with its hyper-parameters as device
tensors: a fixed sequence of tensor operations with no host read, so that a CUDA graph can
replay it while the schedules change the learning rate and AdamW's β2 every step.

It works on the torch optimiser's own state (``momentum_buffer``; ``step``, ``exp_avg``,
``exp_avg_sq``), so checkpoints, resume and the eager engine see one optimiser. Only the
settings the engine uses: SGD with momentum (dampening 0, no Nesterov) and decoupled weight
decay per group as torch applies it, AdamW without amsgrad.

    SGD:   g ← g + wd·p;  b ← μ·b + g (b starts at 0: b = g at the first step);  p ← p − lr·b
    AdamW: s ← s + 1;  p ← p·(1 − lr·wd);  m ← m + (1−β1)(g − m);  v ← β2·v + (1−β2)·g²;
           p ← p − lr/(1−β1^s) · m / (√v/√(1−β2^s) + ε)
"""
from __future__ import annotations

import torch


class DeviceUpdate:
    """``update(grads)`` applies one step of ``optimizer``'s rule with ``lr``/``beta2`` read from
    device tensors (set them with ``set_hyperparameters``, a host-to-device copy, no sync)."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.kind = _kind(optimizer)
        device = optimizer.param_groups[0]["params"][0].device
        self.lr = [torch.zeros((), device=device) for _ in optimizer.param_groups]
        self.beta2 = [torch.zeros((), device=device) for _ in optimizer.param_groups]
        self.set_hyperparameters()

    def set_hyperparameters(self) -> None:
        """Copy every group's current lr (and β2) into the device tensors."""
        for group, lr, beta2 in zip(self.optimizer.param_groups, self.lr, self.beta2):
            lr.fill_(float(group["lr"]))
            if self.kind == "adamw":
                beta2.fill_(float(group["betas"][1]))

    def init_state(self) -> None:
        """Create any missing state (as torch would at its first step), ``step`` on the device."""
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                state = self.optimizer.state[p]
                if self.kind == "sgd" and state.get("momentum_buffer") is None and group["momentum"]:
                    state["momentum_buffer"] = torch.zeros_like(p)  # μ·0 + g = g: torch's first step
                if self.kind == "adamw":
                    if "step" not in state:
                        state["step"] = torch.zeros((), device=p.device)
                        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    elif state["step"].device != p.device:
                        state["step"] = state["step"].to(p.device)

    def state_tensors(self) -> list[torch.Tensor]:
        """Every tensor of the optimiser state the update changes (for a guard to restore)."""
        return [t for s in self.optimizer.state.values() for t in s.values() if torch.is_tensor(t)]

    @torch.no_grad()
    def update(self, grads: dict[int, torch.Tensor]) -> None:
        """One step for every parameter p with a gradient ``grads[id(p)]`` (parameters without a gradient are left
        alone); call ``init_state`` once before."""
        for group, lr, beta2 in zip(self.optimizer.param_groups, self.lr, self.beta2):
            for p in group["params"]:
                grad = grads.get(id(p))
                if grad is not None and self.kind == "sgd":
                    self._sgd(p, grad, group, lr)
                elif grad is not None:
                    self._adamw(p, grad, group, lr, beta2)

    def _sgd(self, p, grad, group, lr) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        if group["momentum"]:
            buffer = self.optimizer.state[p]["momentum_buffer"]
            buffer.mul_(group["momentum"]).add_(grad)
            grad = buffer
        p.sub_(lr * grad)

    def _adamw(self, p, grad, group, lr, beta2) -> None:
        state = self.optimizer.state[p]
        beta1, eps = group["betas"][0], group["eps"]
        state["step"].add_(1)
        step = state["step"]
        p.mul_(1 - lr * group["weight_decay"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad * (1 - beta2), grad)
        denom = state["exp_avg_sq"].sqrt() / (1 - beta2 ** step).sqrt() + eps
        p.sub_(lr / (1 - beta1 ** step) * state["exp_avg"] / denom)


def _kind(optimizer: torch.optim.Optimizer) -> str:
    if isinstance(optimizer, torch.optim.AdamW):
        group = optimizer.param_groups[0]
        if group.get("amsgrad") or group.get("maximize"):
            raise ValueError("the device-side update supports AdamW without amsgrad/maximize")
        return "adamw"
    if isinstance(optimizer, torch.optim.SGD):
        group = optimizer.param_groups[0]
        if group.get("nesterov") or group.get("dampening") or group.get("maximize"):
            raise ValueError("the device-side update supports SGD without nesterov/dampening/maximize")
        return "sgd"
    raise ValueError(f"no device-side update for {type(optimizer).__name__}; use sgd or adamw")
