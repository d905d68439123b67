"""Baselines on CIFAR: the student alone or a registered logit baseline (KD, DKD, IKL-KD;
``--distill``), docs/method.md §4.

SGD (momentum 0.9, wd 5e-4), batch 64, 240 epochs, lr ×0.1 at 150/180/210; lr 0.05 (0.01 for
MobileNet/ShuffleNet students — set it in the launcher).
"""
from gendd.cli import UserError, add_training_args, epoch_list, main_guard, run_folder, start_process, train_config
from gendd.cli.baselines import add_baseline_args, build_baseline
from gendd.cli.stage_run import run_stage
from gendd.validation import checked, within
from gendd_cifar.data_args import base_parser, build_data
from gendd_cifar.evaluation import final_test
from gendd_cifar.models import build_model
from gendd_cifar.run_dirs import run_dir_of
from gendd_cifar.teacher_args import add_teacher_args, teacher_from_args


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p, required=False)
    p.add_argument("--model_s", default="resnet8x4")
    add_training_args(p, epochs=240, learning_rate=0.05, weight_decay=5e-4)
    checked(p.add_argument("--momentum", type=float, default=0.9), within(0, 1, high_open=True))
    p.add_argument("--lr_decay_epochs", default="150,180,210")
    add_baseline_args(p, with_student=True)
    return p.parse_args()


def main():
    args = parse()
    env = start_process(args)
    if args.distill != "vanilla" and not args.path_t:
        raise UserError(f"--distill {args.distill} needs a teacher: pass --path_t")
    run_dir = run_dir_of(args, f"student_{args.distill}")
    data = build_data(args, env)
    teacher = teacher_from_args(args, env, data) if args.path_t else None
    student = build_model(args.model_s, data.num_classes)
    distiller = build_baseline(args, student, teacher.module if teacher else None)
    cfg = train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="sgd",
                       weight_decay=args.weight_decay, momentum=args.momentum, lr_schedule="step",
                       milestones=epoch_list(args.lr_decay_epochs))
    logger = run_stage(env, data, distiller, teacher, run_folder(args, run_dir), cfg)
    if logger is not None:
        final_test(distiller, data, env, run_dir, logger)


if __name__ == "__main__":
    main_guard(main)
