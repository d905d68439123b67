"""GenDD stage 1 on CIFAR: fit the student's feature to the frozen teacher classifier.

logits = teacher_fc(proj(f_s)), cross-entropy; AdamW lr 3e-3, wd 5e-2, cosine, no
warm-up, 50 epochs (docs/method.md §3–4). Its ``final.pth`` is stage 2's ``--path_pretrain``.
"""
from gendd.cli import main_guard
from gendd.cli.stage1 import add_stage1_args, run_stage1
from gendd_cifar.data_args import base_parser
from gendd_cifar.teacher_args import add_teacher_args
from gendd_cifar.tree import TREE


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p)
    add_stage1_args(p, model_s="resnet8x4", epochs=50, learning_rate=3e-3, weight_decay=5e-2)
    return p.parse_args()


if __name__ == "__main__":
    main_guard(lambda: run_stage1(parse(), TREE))
