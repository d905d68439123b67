"""The run's layout: how many processes train it and how the global batch is split among them.

``--batch_size`` is the *global* batch, the recipe's number: W processes each take
``batch_size / W`` samples per step (``per_process_batch``), so a recipe trains at the same
batch and learning rate on 1 GPU or 8. Both numbers and the world size go into the run's
``config.yaml`` as ``batch_size``, ``batch_per_process`` and ``world_size``.

A checkpoint's position inside an epoch (its step) only means the same samples under the same
layout: the CC3M stream is split by rank, and another global batch changes the steps per epoch.
``layout_change`` therefore names a resume under another world size or global batch, which
``prepare_run_dir`` refuses in every mode but ``overwrite`` once the folder holds a checkpoint
(a folder without one, e.g. after a dry run, takes the new layout), except another world size
alone when the newest checkpoint ends an epoch: no position inside an epoch is carried over.
"""
from __future__ import annotations

LAYOUT_KEYS = ("world_size", "batch_size")
PROCESS_KEYS = frozenset({"world_size", "batch_per_process"})   # follow the process count, not the recipe


def per_process_batch(global_batch: int, world_size: int) -> int:
    """``global_batch / world_size``; a ValueError naming the fix when it does not divide."""
    if global_batch < 1 or global_batch % world_size:
        raise ValueError(
            f"--batch_size {global_batch} is the global batch and must split evenly over the {world_size} "
            f"process(es) (GPUS x NNODES): choose a global batch that is a positive multiple of {world_size}, "
            f"or another process count")
    return global_batch // world_size


def layout_change(old: dict, new: dict) -> str | None:
    """Why a run recorded with config ``old`` cannot resume under ``new`` (None when it can).
    A config written before the layout was recorded (no ``world_size``) is not checked."""
    if "world_size" not in old:
        return None
    if all(old.get(k) == new.get(k) for k in LAYOUT_KEYS):
        return None
    return (f"the run was trained by {old['world_size']} process(es) with a global batch of {old.get('batch_size')}, "
            f"now {new.get('world_size')} process(es) with {new.get('batch_size')}: its checkpoint's position in "
            f"the epoch would point at other samples (some skipped or seen twice), and another global batch "
            f"changes the steps per epoch that the schedules count. Resume it with "
            f"{old['world_size']} process(es) (GPUS x NNODES) and --batch_size {old.get('batch_size')}, or start "
            f"another run (--trial, --save_dir, or --resume_mode overwrite)")
