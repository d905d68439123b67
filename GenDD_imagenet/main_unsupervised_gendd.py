"""Label-free GenDD on CC3M: λ = 0, the target is the teacher feature itself; the student's fc
is frozen (nothing can train it without labels) and the run is evaluated on ImageNet val
through the sampled path only (teacher classifier on the sampled feature). docs/method.md §4:
100 epochs x 5500 iterations, 64 images per process.

``--evaluate``: sampled top-1 of the run's final.pth (or --resume) on ImageNet val.
"""
from gendd.cli import main_guard
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.gendd_script import add_imagenet_gendd_args, run_gendd
from gendd_imagenet.teacher_args import add_teacher_args


def parse():
    p = base_parser(__doc__, "cc3m")
    add_teacher_args(p)
    add_imagenet_gendd_args(p, "gendd_label_free")
    return p.parse_args()


if __name__ == "__main__":
    main_guard(lambda: run_gendd(parse(), "unsupervised_gendd", "gendd_label_free"))
