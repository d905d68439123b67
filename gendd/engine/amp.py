"""Mixed precision of the training step (``--amp bf16|fp16``; a bare ``--amp`` is bf16).

* bf16: the forward under bfloat16 autocast; its exponent range is float32's, so gradients need
  no scaling.
* fp16: the forward under float16 autocast with loss scaling (``torch.amp.GradScaler``): backward
  of S·loss, the gradients unscaled (before clipping), the optimiser step *skipped* when a
  gradient holds inf/NaN and S halved; S doubles after ``growth_interval`` good steps. For GPUs
  without fast bf16 (V100, T4 class).

A step the scaler skips is not a non-finite loss (the loss was finite, the scale too large): the
engine counts such steps apart (``scaler_skipped_total``) and never stops on them. The scaler's
state (S, its growth tracker) is saved in every checkpoint, so a resumed run continues exactly.
Autocast applies on CUDA; on the CPU the setting is ignored with a notice (``AMP_DEVICES``). The
whole-step CUDA graph (``--cuda_graph``) has no host read in its step, which the scaler's skip
decision needs: fp16 is refused there (``check_amp``); bf16 works under it.
"""
from __future__ import annotations

import contextlib

import torch

MODES = ("bf16", "fp16")
DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
AMP_DEVICES = ("cuda",)   # device types where autocast applies


def amp_mode(amp) -> str | None:
    """``TrainConfig.amp`` as a mode: off (None/False), "bf16" (also True, the former switch) or "fp16"."""
    if amp in (None, False):
        return None
    if amp is True:
        return "bf16"
    if amp not in MODES:
        raise ValueError(f"unknown amp mode {amp!r}; choose one of {MODES} (or leave it off)")
    return amp


def check_amp(amp, cuda_graph) -> None:
    """Refuse fp16 with the captured step asked for explicitly (``cuda_graph`` "on" or True; "auto"
    runs fp16 eagerly, see ``gendd.engine.capture.capture_wanted``), with a ValueError naming the
    alternatives."""
    if amp_mode(amp) == "fp16" and cuda_graph in (True, "on"):
        raise ValueError("--amp fp16 cannot run under --cuda_graph: the gradient scaler decides on the host whether "
                         "to skip a step, which a captured step cannot do. Use --amp bf16 with --cuda_graph, or "
                         "--amp fp16 without it")


class Precision:
    """The run's autocast and, for fp16, its gradient scaler; ``step`` does backward and the update."""

    def __init__(self, amp, device: torch.device):
        mode = amp_mode(amp)
        self.requested = mode
        self.mode = mode if device.type in AMP_DEVICES else None
        self.device_type = device.type
        self.scaler = torch.amp.GradScaler(device.type) if self.mode == "fp16" else None

    def notice(self) -> str | None:
        """A line for the log when the setting is ignored or slow here, else None."""
        if self.requested and self.mode is None:
            return f"--amp {self.requested} is ignored on {self.device_type}: training in float32"
        if self.mode == "bf16" and not torch.cuda.is_bf16_supported(including_emulation=False):
            return "--amp bf16: this GPU computes bfloat16 by emulation (slow); --amp fp16 uses its float16 units"
        return None

    def autocast(self):
        """A context manager for the forward (a no-op when off)."""
        if self.mode is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=DTYPES[self.mode])

    def step(self, total: torch.Tensor, optimizer, parameters, grad_clip: float = 0.0) -> bool:
        """Backward of ``total`` (scaled for fp16), optional clipping of the true gradients, the
        optimiser step; False when the scaler skipped the step (an inf/NaN gradient)."""
        optimizer.zero_grad(set_to_none=True)
        if self.scaler is None:
            total.backward()
            if grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
            optimizer.step()
            return True
        self.scaler.scale(total).backward()
        if grad_clip > 0:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
        scale = self.scaler.get_scale()
        self.scaler.step(optimizer)
        self.scaler.update()
        return self.scaler.get_scale() >= scale   # update() lowers S exactly when it skipped the step

    def state_dict(self) -> dict | None:
        return self.scaler.state_dict() if self.scaler is not None else None

    def load_state_dict(self, state: dict | None) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)
