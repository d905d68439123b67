"""GenDD stage 1 on ImageNet: fit the student's feature to the frozen teacher classifier.

logits = teacher_fc(proj(f_s)), cross-entropy (soft-target CE under --recipe A1/A2);
AdamW lr 2e-3, cosine, no warm-up, 20 epochs, RandomResizedCrop(0.08-1) (docs/method.md §3-4).
Its ``final.pth`` is stage 2's ``--path_pretrain``.
"""
from gendd.cli import main_guard, run_folder, start_process
from gendd.cli.stage1 import add_stage1_args, stage1_train_config, train_stage1
from gendd_imagenet.data_args import base_parser, build_data
from gendd_imagenet.models import build_model
from gendd_imagenet.run_dirs import stage1_run_dir
from gendd_imagenet.teacher_args import add_teacher_args, teacher_from_args


def parse():
    p = base_parser(__doc__, "imagenet")
    add_teacher_args(p)
    add_stage1_args(p, model_s="resnet18", epochs=20, learning_rate=2e-3, weight_decay=2e-2)
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
