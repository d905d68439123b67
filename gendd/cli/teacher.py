"""The teacher of a run as a tree's script hands it to the shared stage bodies: the frozen
module and what the run's log says of it (``Teacher``, built by the tree's ``teacher_from_args``),
and that log line (``report_teacher``, once the run folder is claimed).
"""
from __future__ import annotations

import dataclasses
import json
import os

from torch import nn

from ..engine import DistEnv, RunLogger, evaluate


@dataclasses.dataclass(frozen=True)
class Teacher:
    """A frozen teacher on the device (on the meta device when a dry run built it with shapes only,
    downloading nothing), named by its ``arch`` and the ``source`` of its weights. Its accuracy is
    logged on ``eval_data`` (the ``split`` named in the line; None: not evaluated), with
    ``record`` also in <run>/teacher.json."""
    module: nn.Module
    arch: str
    source: str
    eval_data: object | None = None
    split: str = "test"
    channels_last: bool = False
    record: bool = False

    @property
    def shapes_only(self) -> bool:
        return self.module.fc.weight.is_meta

    def gendd_kwargs(self) -> dict:
        """How GenDD's stages take the teacher: the module (its fc is copied), or for a shapes-only
        teacher the shape of its fc (the weights come later from a checkpoint)."""
        if self.shapes_only:
            return {"teacher": None, "teacher_fc": tuple(self.module.fc.weight.shape)}
        return {"teacher": self.module}


def report_teacher(teacher: Teacher, env: DistEnv, logger: RunLogger) -> None:
    """Log the teacher's accuracy on its ``eval_data`` (and write <run>/teacher.json when it is
    ``record``ed); a shapes-only teacher is named as such."""
    if teacher.shapes_only:
        logger.info(f"dry run: {teacher.source} teacher {teacher.arch} built with shapes only (no download)")
        return
    if teacher.eval_data is None:
        return
    acc = evaluate(teacher.module, teacher.eval_data, env.device, channels_last=teacher.channels_last)
    logger.info(f"teacher {teacher.arch} ({teacher.source}): {teacher.split} top-1 {acc['top1']:.2f} %, "
                f"top-5 {acc['top5']:.2f} %")
    if teacher.record and env.is_main:
        with open(os.path.join(logger.run_dir, "teacher.json"), "w") as fh:
            json.dump({"arch": teacher.arch, "path": teacher.source, **acc}, fh, indent=2)
