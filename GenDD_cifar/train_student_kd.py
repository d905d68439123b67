"""Baselines on CIFAR: the student alone, KD, DKD or IKL-KD (``--distill``), docs/method.md §4.

SGD (momentum 0.9, wd 5e-4), batch 64, 240 epochs, lr ×0.1 at 150/180/210; lr 0.05 (0.01 for MobileNet/ShuffleNet students — set it in the launcher).
"""
import os

from gendd.baseline_cli import add_baseline_args, baseline_kwargs
from gendd.cli import (UserError, add_training_args, epoch_list, fit_or_stop, main_guard, run_name, start_process,
                       start_run, train_config)
from gendd.distillers import build as build_distiller
from gendd.engine import RunLogger
from gendd_cifar.common import (add_teacher_args, base_parser, build_data, final_test, report_teacher,
                                teacher_from_args)
from gendd_cifar.models import build_model

METHODS = ("vanilla", "kd", "dkd", "ikl")


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p, required=False)
    p.add_argument("--model_s", default="resnet8x4")
    p.add_argument("--distill", default="kd", choices=METHODS)
    add_training_args(p, epochs=240, learning_rate=0.05, weight_decay=5e-4)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--lr_decay_epochs", default="150,180,210")
    add_baseline_args(p)
    return p.parse_args()


def main():
    args = parse()
    env = start_process(args)
    if args.distill != "vanilla" and not args.path_t:
        raise UserError(f"--distill {args.distill} needs a teacher: pass --path_t")
    t_name = "none"
    if args.path_t:
        from gendd_cifar.teachers import infer_arch
        t_name = args.arch_t or infer_arch(args.path_t) or "teacher"
    run_dir = os.path.join(args.save_dir, f"student_{args.distill}",
                           run_name(f"S-{args.model_s}", f"T-{t_name}", args.dataset, "trial", args.trial))
    data = build_data(args, env)
    teacher, arch_t = teacher_from_args(args, env, data.sets.num_classes) if args.path_t else (None, None)
    student = build_model(args.model_s, data.sets.num_classes)
    distiller = build_distiller(args.distill, student, teacher, **({} if args.distill == "vanilla" else baseline_kwargs(args, args.distill)))
    cfg = train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="sgd",
                       weight_decay=args.weight_decay, momentum=args.momentum, lr_schedule="step",
                       milestones=epoch_list(args.lr_decay_epochs))
    logger = start_run(args, env, run_dir)
    if teacher is not None:
        report_teacher(teacher, arch_t, args, env, data, logger)
    if fit_or_stop(args, logger, distiller, data.source, data.eval, cfg, env):
        final_test(distiller, data, env, run_dir, RunLogger(run_dir, env.is_main, tensorboard=False))


if __name__ == "__main__":
    main_guard(main)
