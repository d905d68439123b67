"""GenDD stage 1 on CIFAR: fit the student's feature to the frozen teacher classifier.

logits = teacher_fc(proj(f_s)), cross-entropy; AdamW lr 3e-3, wd 5e-2, cosine, no
warm-up, 50 epochs (docs/method.md §3–4). Its ``final.pth`` is stage 2's ``--path_pretrain``.
"""
from gendd.cli import main_guard, run_folder, start_process
from gendd.cli.stage1 import add_stage1_args, stage1_train_config, train_stage1
from gendd_cifar.data_args import base_parser, build_data
from gendd_cifar.models import build_model
from gendd_cifar.run_dirs import stage1_run_dir
from gendd_cifar.teacher_args import add_teacher_args, teacher_from_args


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p)
    add_stage1_args(p, model_s="resnet8x4", epochs=50, learning_rate=3e-3, weight_decay=5e-2)
    return p.parse_args()


def main():
    args = parse()
    env = start_process(args)
    run_dir = stage1_run_dir(args)
    data = build_data(args, env)
    teacher = teacher_from_args(args, env, data)
    student = build_model(args.model_s, data.num_classes)
    train_stage1(env, data, student, teacher, run_folder(args, run_dir), stage1_train_config(args, run_dir))


if __name__ == "__main__":
    main_guard(main)
