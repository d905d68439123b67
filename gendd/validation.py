"""Flag values checked before anything is built or written.

``first_invalid_flag(args)`` looks up every flag of ``RULES`` that the script's namespace has
and returns the message for the first value that breaks its rule (None when all are fine);
``gendd.cli.start_process`` turns it into an exit-2 ``error:`` line before the run folder is
created or its ``config.yaml`` touched. Flags a script does not have are skipped, so one table
serves every script of both trees.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from .diffusion.schedule import DIFFUSION_STEPS

FLOAT32_MAX = 3.4028234663852886e38


class BadInput(ValueError):
    """Bad input found below the command line (an unknown model name, no CUDA device, an unreadable
    image, a label outside the class range, an unwritable folder): exit 2 with the message.
    Re-raised from a DataLoader worker, the message is cut back to the original line."""

    def __init__(self, message: str = ""):
        if "Original Traceback" in message:
            last = message.rstrip().splitlines()[-1]
            message = last.split(": ", 1)[1] if ": " in last else last
        super().__init__(message)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def at_least(low) -> tuple[Callable[[object], bool], str]:
    return (lambda v: _number(v) and v >= low), f"must be a finite number of at least {low}"


def above(low) -> tuple[Callable[[object], bool], str]:
    return (lambda v: _number(v) and v > low), f"must be a finite number above {low}"


def within(low, high, *, high_open: bool = False) -> tuple[Callable[[object], bool], str]:
    closing = ")" if high_open else "]"
    return ((lambda v: _number(v) and low <= v and (v < high if high_open else v <= high)),
            f"must lie in [{low}, {high}{closing}")


def finite() -> tuple[Callable[[object], bool], str]:
    return _number, "must be a finite number"


POSITIVE = ("epochs", "batch_size", "eval_batch_size", "width", "depth", "token_dim", "diffusion_batch_mul",
            "eval_every", "keep_last", "log_every", "max_nonfinite", "image_size",
            "iterations_per_epoch", "shuffle_buffer", "jobs")
NON_NEGATIVE = ("num_workers", "save_every_steps", "num_sampling", "train_subset", "test_subset", "val_split",
                "threads", "total_seconds", "weight_decay", "min_lr", "warmup_epochs", "loss_warmup", "ce_weight",
                "kd_weight", "dkd_alpha", "dkd_beta", "ikl_alpha", "ikl_beta", "beta", "eta", "temperature",
                "sampled_every")

# flag -> (predicate on its value, what the value must be)
RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    **{name: at_least(1) for name in POSITIVE},
    **{name: at_least(0) for name in NON_NEGATIVE},
    "learning_rate": ((lambda v: _number(v) and 0 < v <= FLOAT32_MAX),
                      f"must be a finite number above 0 (at most {FLOAT32_MAX:.3g}: the optimisers work in float32)"),
    "kd_T": above(0),
    "ikl_T2": above(0),
    "cfg_scale": finite(),
    "smooth": within(0, 1),
    "cond_drop_prob": within(0, 1, high_open=True),
    "beta2_min": within(0, 1, high_open=True),
    "momentum": within(0, 1, high_open=True),
    "crop_scale": within(0, 1),
    # K respaces the T diffusion steps, so K <= T (else the first evaluation fails, after an epoch)
    "sampling_steps": (within(1, DIFFUSION_STEPS)[0],
                       f"must lie in [1, {DIFFUSION_STEPS}]: it respaces the {DIFFUSION_STEPS} diffusion steps"),
}


def first_invalid_flag(args: argparse.Namespace) -> str | None:
    """The message for the first flag whose value breaks its rule, or None."""
    values = vars(args)
    for name, (ok, requirement) in RULES.items():
        if name in values and values[name] is not None and not ok(values[name]):
            return (f"--{name} {values[name]!r} is not a valid value: it {requirement}; "
                    f"correct it and run the same command again")
    return None
