"""Logit-distillation baselines on ImageNet (``--distill kd|dkd|ikl``), docs/method.md §4: SGD lr 0.2,
wd 1e-4, 64 images per process (512 on 8 GPUs), 100 epochs, lr ×0.1 every 30 epochs.

KD: 0.5·CE + 0.5·KL at T = 1; DKD: T = 1, warm-up 1 epoch, β 0.5 (R34→R18) / 2.0 (R50→MV1);
IKL-KD: GI on, T2 = 1, (α, β) = (1, 0.5) / (4, 1). ``--evaluate``: top-1 of the run's final.pth.
"""
from gendd.baseline_cli import BASELINES, add_baseline_args, baseline_kwargs
from gendd.cli import main_guard
from gendd.distillers import build as build_distiller
from gendd_imagenet.common import add_teacher_args, base_parser, run_dir_of
from gendd_imagenet.logit_script import add_sgd_args, run_logits

LABELS = {"kd": "KD", "dkd": "DKD", "ikl": "IKL-KD"}


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    p.add_argument("--model_s", default="resnet18")
    p.add_argument("--distill", default="kd", choices=BASELINES)
    add_sgd_args(p, lr=0.2, weight_decay=1e-4)
    add_baseline_args(p)
    p.set_defaults(ce_weight=0.5, kd_weight=0.5, kd_T=1.0, ikl_T2=1.0, loss_warmup=1)
    return p.parse_args()


def main():
    args = parse()
    row = {"method": LABELS[args.distill], "teacher": args.arch_t}

    def distiller(student, teacher):
        return build_distiller(args.distill, student, teacher, **baseline_kwargs(args, args.distill))

    run_logits(args, run_dir_of(args, args.distill), row, distiller)


if __name__ == "__main__":
    main_guard(main)
