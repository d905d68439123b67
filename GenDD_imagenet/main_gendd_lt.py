"""GenDD on ImageNet-LT: students of the ResNeXt-101 (32x4d) long-tail teacher with λ = 0,
AdamW lr 2e-3, wd 0.2, 100 epochs, cosine, warm-up 20, M = 10 (docs/method.md §4). Reports top-1
overall and on many- (>100 training images), medium- (20-100) and few-shot (<20) classes.

``--evaluate``: the same report for the run's final.pth or --resume.
"""
from gendd.cli import main_guard
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.gendd_script import add_imagenet_gendd_args, run_gendd
from gendd_imagenet.teacher_args import add_teacher_args


def parse():
    p = base_parser(__doc__, "lt")
    add_teacher_args(p, required=False)
    add_imagenet_gendd_args(p)
    p.set_defaults(arch_t="resnext101_32x4d", smooth=0.0, weight_decay=0.2, warmup_epochs=20)
    return p.parse_args()


if __name__ == "__main__":
    main_guard(lambda: run_gendd(parse(), "gendd_lt"))
