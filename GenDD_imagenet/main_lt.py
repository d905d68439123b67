"""The ImageNet-LT teacher: a ResNeXt-101 (32x4d) trained with cross-entropy on the LT split,
SGD lr 0.1, wd 5e-4, batch 256, 100 epochs, warm-up 10 then cosine (docs/method.md §4). Reports top-1
overall and per shot group. Its run's ``final.pth`` is the GenDD students' ``--path_t``.
"""
from gendd.cli import main_guard
from gendd.distillers import build as build_distiller
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.logit_script import add_sgd_args, run_logits
from gendd_imagenet.run_dirs import teacher_run_dir


def parse():
    p = base_parser(__doc__, "lt")
    p.add_argument("--model_s", "--arch", dest="model_s", default="resnext101_32x4d", help="architecture to train")
    add_sgd_args(p, lr=0.1, weight_decay=5e-4)
    p.set_defaults(lr_schedule="cosine", warmup_epochs=10)
    return p.parse_args()


def main():
    args = parse()
    run_logits(args, teacher_run_dir(args), {"method": "cross-entropy", "teacher": "-"},
               lambda student, teacher: build_distiller("vanilla", student), with_teacher=False)


if __name__ == "__main__":
    main_guard(main)
