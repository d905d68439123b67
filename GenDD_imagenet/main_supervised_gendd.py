"""GenDD stage 2 on ImageNet: the student's feature conditions a diffusion head that learns to
generate the teacher's feature, contracted toward the class centre (λ = --smooth; with
--recipe A1/A2 the mixed soft target y~ gives the centre y~·W_t and the probe's target).

``--evaluate``: sampled and probe top-1 of the run's final.pth, or of --resume (a checkpoint of
this project or of the original implementation). docs/method.md §3-4.
"""
from gendd.cli import main_guard
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.gendd_script import add_imagenet_gendd_args, run_gendd
from gendd_imagenet.teacher_args import add_teacher_args


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    add_imagenet_gendd_args(p)
    return p.parse_args()


if __name__ == "__main__":
    main_guard(lambda: run_gendd(parse(), "gendd"))
