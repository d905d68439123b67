"""Command-line flags of the logit-distillation baselines (KD, DKD, IKL-KD) and their
translation into distiller keyword arguments; each tree only changes defaults with
``parser.set_defaults`` (CIFAR: T 4, warm-up 20; ImageNet: T 1, warm-up 1, KD 0.5/0.5).

* KD:  ce_weight·CE + kd_weight·T²·KL(softmax(t/T) ‖ softmax(s/T));
* DKD: CE + min(epoch/warmup, 1)·(α·TCKD + β·NCKD)·T²;
* IKL: CE + min(epoch/warmup, 1)·(β·wMSE + α·SCE), wMSE weights at temperature T2, GI optional.
"""
from __future__ import annotations

import argparse

BASELINES = ("kd", "dkd", "ikl")


def add_baseline_args(p: argparse.ArgumentParser) -> None:
    k = p.add_argument_group("baseline losses")
    k.add_argument("--ce_weight", type=float, default=0.1, help="KD: weight of the cross-entropy term")
    k.add_argument("--kd_weight", type=float, default=0.9, help="KD term weight")
    k.add_argument("--kd_T", type=float, default=4.0, help="temperature of KD, DKD and IKL's SCE")
    k.add_argument("--dkd_alpha", type=float, default=1.0, help="DKD: weight of TCKD")
    k.add_argument("--dkd_beta", type=float, default=8.0, help="DKD: weight of NCKD")
    k.add_argument("--ikl_alpha", type=float, default=1.0, help="IKL: weight of the SCE term")
    k.add_argument("--ikl_beta", type=float, default=8.0, help="IKL: weight of the wMSE term")
    k.add_argument("--ikl_T2", type=float, default=100.0, help="IKL: temperature of the wMSE weights")
    k.add_argument("--ikl_gi", action="store_true", help="IKL: wMSE weights from the per-class prior (GI)")
    k.add_argument("--loss_warmup", type=float, default=20, help="DKD/IKL: epochs over which the KD term ramps up")


def baseline_kwargs(args: argparse.Namespace, method: str) -> dict:
    """Keyword arguments of ``gendd.distillers.build(method, student, teacher, **kwargs)``."""
    if method == "kd":
        return dict(ce_weight=args.ce_weight, kd_weight=args.kd_weight, temperature=args.kd_T)
    if method == "dkd":
        return dict(alpha=args.dkd_alpha, beta=args.dkd_beta, temperature=args.kd_T, warmup_epochs=args.loss_warmup)
    if method == "ikl":
        return dict(alpha=args.ikl_alpha, beta=args.ikl_beta, temperature=args.kd_T, temperature2=args.ikl_T2,
                    gi=args.ikl_gi, warmup_epochs=args.loss_warmup)
    raise ValueError(f"unknown baseline {method!r}; choose one of {BASELINES}")
