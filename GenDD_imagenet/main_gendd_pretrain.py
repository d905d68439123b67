"""GenDD stage 1 on ImageNet: fit the student's feature to the frozen teacher classifier.

logits = teacher_fc(proj(f_s)), cross-entropy (soft-target CE under --recipe A1/A2);
AdamW lr 2e-3, cosine, no warm-up, 20 epochs, RandomResizedCrop(0.08-1) (docs/method.md §3-4).
Its ``final.pth`` is stage 2's ``--path_pretrain``.
"""
from gendd.cli import main_guard
from gendd.cli.stage1 import add_stage1_args, run_stage1
from gendd_imagenet.data_args import base_parser
from gendd_imagenet.teacher_args import add_teacher_args
from gendd_imagenet.tree import TREE


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    add_stage1_args(p, model_s="resnet18", epochs=20, learning_rate=2e-3, weight_decay=2e-2)
    return p.parse_args()


if __name__ == "__main__":
    main_guard(lambda: run_stage1(parse(), TREE))
