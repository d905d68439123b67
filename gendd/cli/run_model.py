"""Evaluation reads the run: a GenDD checkpoint is rebuilt with the model flags its run recorded in
``config.yaml``, so an evaluation command restates none of them (width, depth, token size, ...).

The model flags are the method's registered flags (``gendd.distillers.registry``) but its on/off
switches (``--compile``, ``--grad_checkpoint``: how the run computed, not what it is). A
checkpoint with no config.yaml beside it (the original implementation's) is built from the
command line's flags, as before.
"""
from __future__ import annotations

import argparse

from ..distillers import get as get_method
from ..engine.rundir import run_config_path
from .config_file import read_config


def model_flags(method: str) -> list[str]:
    """The registered flags of ``method`` that shape its model (every one but the on/off switches)."""
    return [name for name, default in get_method(method).defaults().items() if not isinstance(default, bool)]


def with_run_model_flags(args: argparse.Namespace, checkpoint: str, method: str = "gendd") -> argparse.Namespace:
    """A copy of ``args`` whose model flags are those the checkpoint's run recorded (a flag the run's
    config.yaml lacks, from before it existed, keeps the command line's value); ``args`` itself
    when the checkpoint has no config.yaml."""
    path = run_config_path(checkpoint)
    if path is None:
        return args
    recorded = read_config(path)
    return argparse.Namespace(**{**vars(args), **{k: recorded[k] for k in model_flags(method) if k in recorded}})
