"""What every training body of both trees ends with, once its script has built every piece from
the flags (so a bad flag or file stops the run before its folder is touched): claim the run
folder, log the teacher (if any) and what the student starts from, then train (or stop after a
dry run).
"""
from __future__ import annotations

from ..engine import TrainConfig
from ..engine.dist import DistEnv
from ..engine.logger import RunLogger
from .run_setup import RunFolder, fit_or_stop, start_run
from .teacher import Teacher, report_teacher


def run_stage(env: DistEnv, data, distiller, teacher: Teacher | None, folder: RunFolder, cfg: TrainConfig,
              notes: tuple[str, ...] = ()) -> RunLogger | None:
    """Train ``distiller`` on ``data`` (``.source``, ``.eval``) into ``folder``; ``notes``: lines
    for the run's log after the teacher's. The run's logger when it trained (for what the script
    reports after training), None after a dry run."""
    logger = start_run(folder, env)
    if teacher is not None:
        report_teacher(teacher, env, logger)
    for note in notes:
        logger.info(note)
    return logger if fit_or_stop(folder, logger, distiller, data.source, data.eval, cfg, env) else None
