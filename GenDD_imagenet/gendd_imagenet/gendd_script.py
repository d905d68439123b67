"""The body of the three ImageNet-tree GenDD scripts (supervised ImageNet, label-free CC3M,
ImageNet-LT): ImageNet defaults for the shared GenDD flags, training, and ``--evaluate``.

ImageNet defaults (docs/method.md §3-4): AdamW lr 2e-3, wd 2e-2, 100 epochs, warm-up 10 then a
half-cosine to min_lr 1e-6 (``--no_cos``: step decay instead), β2 from 0.96, M = 10,
RandomResizedCrop(0.6-1), K = 64 sampling steps.
"""
from __future__ import annotations

import os

from gendd.cli import add_training_args, run_folder, start_process
from gendd.cli.gendd import add_gendd_args, eval_tag, gendd_settings, gendd_train_config, train_gendd
from gendd.cli.stage1 import stage1_start

from .data_args import build_data
from .evaluation import (add_results_table_arg, checkpoint_to_evaluate, evaluate_and_report, load_gendd_for_eval,
                         setting_of)
from .models import build_model
from .run_dirs import STAGE1_COMMAND, run_dir_of, stage1_run_dir
from .teacher_args import teacher_from_args


def add_imagenet_gendd_args(p, method: str = "gendd") -> None:
    """The GenDD flags of the registered ``method`` with the ImageNet defaults."""
    p.add_argument("--model_s", default="resnet18")
    add_training_args(p, epochs=100, learning_rate=2e-3, weight_decay=2e-2)
    add_gendd_args(p, method)
    add_results_table_arg(p)
    p.add_argument("--no_cos", dest="cos", action="store_false", help="step decay at --lr_decay_epochs, not cosine")
    p.set_defaults(cos=True, warmup_epochs=10, min_lr=1e-6, beta2_min=0.96, diffusion_batch_mul=10, crop_scale=0.6,
                   sampling_steps=64, lr_decay_epochs="30,60,90")


def run_gendd(args, kind: str, method: str = "gendd") -> dict | None:
    """Train the registered GenDD ``method`` into <save_dir>/<kind>/<run>, or with --evaluate
    evaluate that run's final.pth (or --resume)."""
    env = start_process(args)
    run_dir = run_dir_of(args, kind)
    data = build_data(args, env, train=not args.evaluate)
    student = build_model(args.model_s, data.num_classes)
    row = {"setting": setting_of(args), "method": "GenDD", "teacher": args.arch_t, "student": args.model_s,
           "sampling": f"{args.num_sampling}x{args.sampling_steps}"}
    if args.evaluate:
        path = checkpoint_to_evaluate(args, run_dir)
        model = load_gendd_for_eval(args, student, path, data.num_classes, method)
        return evaluate_and_report(model, args, env, data, path, row, eval_tag(args))
    teacher = teacher_from_args(args, env, data)
    stage1 = stage1_start(args.path_pretrain, stage1_run_dir(args), args.dry_run, STAGE1_COMMAND)
    distiller = train_gendd(env, data, student, teacher, stage1, run_folder(args, run_dir),
                            gendd_settings(args, method), gendd_train_config(args, run_dir, args.epochs),
                            resume=args.resume)
    if distiller is not None and data.train_counts is not None:  # ImageNet-LT: shot groups of the final model
        evaluate_and_report(distiller, args, env, data, os.path.join(run_dir, "final.pth"), row, eval_tag(args))
    return None
