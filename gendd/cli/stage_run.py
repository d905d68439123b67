"""What every GenDD stage body of both trees ends with, once its script has built every piece
from the flags (so a bad flag or file stops the run before its folder is touched): claim the run
folder, log the teacher and what the student starts from, then train (or stop after a dry run).
"""
from __future__ import annotations

from ..engine import TrainConfig
from ..engine.dist import DistEnv
from .run_setup import RunFolder, fit_or_stop, start_run
from .teacher import Teacher, report_teacher


def run_stage(env: DistEnv, data, distiller, teacher: Teacher, folder: RunFolder, cfg: TrainConfig,
              notes: tuple[str, ...] = ()) -> bool:
    """Train ``distiller`` on ``data`` (``.source``, ``.eval``) into ``folder``; ``notes``: lines
    for the run's log after the teacher's. True when it trained (False after a dry run)."""
    logger = start_run(folder, env)
    report_teacher(teacher, env, logger)
    for note in notes:
        logger.info(note)
    return fit_or_stop(folder, logger, distiller, data.source, data.eval, cfg, env)
