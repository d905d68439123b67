"""GenDD stage 1 on ImageNet: fit the student's feature to the frozen teacher classifier.

logits = teacher_fc(proj(f_s)), cross-entropy (soft-target CE under --recipe A1/A2);
AdamW lr 2e-3, cosine, no warm-up, 20 epochs, RandomResizedCrop(0.08-1) (SPEC §3-4).
Its ``final.pth`` is stage 2's ``--path_pretrain``.
"""
from gendd.cli import main_guard, start_run, train_config
from gendd.distillers import build as build_distiller
from gendd.engine import fit, init_distributed
from gendd_imagenet.common import (add_teacher_args, base_parser, build_data, stage1_run_dir, teacher_from_args,
                                   teacher_kwargs)
from gendd_imagenet.models import build_model


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    p.add_argument("--model_s", default="resnet18")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--learning_rate", type=float, default=2e-3)
    p.add_argument("--weight_decay", type=float, default=2e-2)
    p.add_argument("--warmup_epochs", type=float, default=0)
    return p.parse_args()


def main():
    args = parse()
    env = init_distributed(args.device)
    run_dir = stage1_run_dir(args)
    logger = start_run(args, env, run_dir)
    data = build_data(args, env)
    teacher = teacher_from_args(args, env, data, logger)
    student = build_model(args.model_s, data.num_classes)
    distiller = build_distiller("gendd_pretrain", student, **teacher_kwargs(teacher))
    cfg = train_config(args, run_dir, epochs=args.epochs, lr=args.learning_rate, optimizer="adamw",
                       weight_decay=args.weight_decay, lr_schedule="cosine", warmup_epochs=args.warmup_epochs)
    if args.dry_run:
        logger.info("dry run: stage-1 module built, stopping before training")
        return
    fit(distiller, data.source, data.val, cfg, env)


if __name__ == "__main__":
    main_guard(main)
