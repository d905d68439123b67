"""Train a CIFAR teacher (or any zoo model) from scratch with cross-entropy.

SGD (momentum 0.9), lr ×0.1 at epochs 150/180/210 (--lr_decay_epochs); the result is
also exported in the public RepDistiller layout as
``<run>/<model>_vanilla/ckpt_epoch_<epochs>.pth`` so it loads wherever the public teachers do.
"""
import os

from gendd.cli import add_training_args, epoch_list, main_guard, run_folder, start_process, train_config
from gendd.cli.stage_run import run_stage
from gendd.distillers import build as build_distiller
from gendd.validation import checked, within
from gendd_cifar.data_args import base_parser, build_data
from gendd_cifar.evaluation import final_test
from gendd_cifar.models import build_model
from gendd_cifar.run_dirs import teacher_run_dir
from gendd_cifar.teachers import save_model


def parse():
    p = base_parser(__doc__)
    p.add_argument("--model", default="resnet32x4")
    add_training_args(p, epochs=240, learning_rate=0.05, weight_decay=5e-4)
    checked(p.add_argument("--momentum", type=float, default=0.9), within(0, 1, high_open=True))
    p.add_argument("--lr_decay_epochs", default="150,180,210", help="epochs where the lr is multiplied by 0.1")
    return p.parse_args()


def main():
    args = parse()
    env = start_process(args)
    run_dir = teacher_run_dir(args)
    data = build_data(args, env)
    model = build_model(args.model, data.num_classes)
    distiller = build_distiller("vanilla", model)
    cfg = train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="sgd",
                       weight_decay=args.weight_decay, momentum=args.momentum, lr_schedule="step",
                       milestones=epoch_list(args.lr_decay_epochs))
    logger = run_stage(env, data, distiller, None, run_folder(args, run_dir), cfg)
    if logger is None:
        return
    final_test(model, data, env, run_dir, logger)
    if env.is_main:
        out = os.path.join(run_dir, f"{args.model}_vanilla", f"ckpt_epoch_{args.epochs}.pth")
        save_model(model, out, args.model)
        logger.info(f"teacher exported to {out}")


if __name__ == "__main__":
    main_guard(main)
