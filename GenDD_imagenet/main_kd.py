"""Logit-distillation baselines on ImageNet (``--distill``: a registered baseline, KD, DKD or
IKL-KD), docs/method.md §4: SGD lr 0.2, wd 1e-4, 64 images per process (512 on 8 GPUs), 100
epochs, lr ×0.1 every 30 epochs.

KD: 0.5·CE + 0.5·KL at T = 1; DKD: T = 1, warm-up 1 epoch, β 0.5 (R34→R18) / 2.0 (R50→MV1);
IKL-KD: GI on, T2 = 1, (α, β) = (1, 0.5) / (4, 1). ``--evaluate``: top-1 of the run's final.pth.
"""
from gendd.cli import main_guard
from gendd.cli.baselines import add_baseline_args, build_baseline
from gendd.distillers import get as get_method
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.logit_script import add_sgd_args, run_logits
from gendd_imagenet.run_dirs import run_dir_of
from gendd_imagenet.teacher_args import add_teacher_args


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    p.add_argument("--model_s", default="resnet18")
    add_sgd_args(p, lr=0.2, weight_decay=1e-4)
    add_baseline_args(p)
    p.set_defaults(ce_weight=0.5, kd_weight=0.5, kd_T=1.0, ikl_T2=1.0, loss_warmup=1.0)
    return p.parse_args()


def main():
    args = parse()
    row = {"method": get_method(args.distill).label, "teacher": args.arch_t}
    run_logits(args, run_dir_of(args, args.distill), row,
               lambda student, teacher: build_baseline(args, student, teacher))


if __name__ == "__main__":
    main_guard(main)
