"""Command-line flags of the logit-distillation baselines (every method registered in the
"baseline" family: KD, DKD, IKL-KD) and the student alone; each tree only changes defaults
with ``parser.set_defaults`` (CIFAR: T 4, warm-up 20; ImageNet: T 1, warm-up 1, KD 0.5/0.5).

* KD:  ce_weight·CE + kd_weight·T²·KL(softmax(t/T) ‖ softmax(s/T));
* DKD: CE + min(epoch/warmup, 1)·(α·TCKD + β·NCKD)·T²;
* IKL: CE + min(epoch/warmup, 1)·(β·wMSE + α·SCE), wMSE weights at temperature T2, GI optional.

A new baseline registered in ``gendd.distillers`` appears here with its flags.
"""
from __future__ import annotations

import argparse

from ..distillers import get
from ..distillers.registry import add_method_args
from .guard import UserError
from .methods import methods


def baseline_names(with_student: bool = False) -> list[str]:
    """The registered baselines (and "vanilla", the student alone, when asked)."""
    return methods(("baseline", "student") if with_student else ("baseline",))


def add_baseline_args(p: argparse.ArgumentParser, *, with_student: bool = False, default: str = "kd") -> None:
    """``--distill`` (a registered baseline) and every baseline's flags."""
    p.add_argument("--distill", default=default, choices=baseline_names(with_student))
    add_method_args(p.add_argument_group("baseline losses"), baseline_names())


def build_baseline(args: argparse.Namespace, student, teacher):
    """The ``--distill`` distiller from its settings (read once from ``args``)."""
    method = get(args.distill)
    try:
        return method.build(student, teacher, method.settings(args))
    except ValueError as err:
        raise UserError(str(err)) from err
