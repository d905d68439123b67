"""GenDD stage 2 on CIFAR: the student's feature conditions a diffusion head that learns
to generate the teacher's feature (docs/method.md §3). Also ``--evaluate``: sampled and probe
accuracy of a checkpoint (this project's or the original implementation's)."""
from gendd.cli import UserError, add_training_args, main_guard, run_folder, start_process
from gendd.cli.gendd import add_gendd_args, gendd_settings, gendd_train_config, train_gendd
from gendd.cli.stage1 import stage1_start
from gendd.engine import RunLogger
from gendd_cifar.data_args import base_parser, build_data
from gendd_cifar.evaluation import evaluate_gendd, final_test
from gendd_cifar.models import build_model
from gendd_cifar.run_dirs import STAGE1_COMMAND, run_dir_of, stage1_run_dir
from gendd_cifar.teacher_args import add_teacher_args, teacher_from_args


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p, required=False)
    p.add_argument("--model_s", default="resnet8x4")
    add_training_args(p, epochs=240, learning_rate=1e-3, weight_decay=5e-2)
    add_gendd_args(p)
    return p.parse_args()


def main():
    args = parse()
    env = start_process(args)
    run_dir = run_dir_of(args, "student_gendd")
    data = build_data(args, env, train=not args.evaluate)
    student = build_model(args.model_s, data.num_classes)
    if args.evaluate:
        teacher = teacher_from_args(args, env, data).module if args.path_t else None
        return evaluate_gendd(args, env, data, student, teacher, run_dir)
    if not args.path_t:
        raise UserError("training needs the teacher: pass --path_t")
    teacher = teacher_from_args(args, env, data)
    stage1 = stage1_start(args.path_pretrain, stage1_run_dir(args), args.dry_run, STAGE1_COMMAND)
    distiller = train_gendd(env, data, student, teacher, stage1, run_folder(args, run_dir), gendd_settings(args),
                            gendd_train_config(args, run_dir, args.epochs), resume=args.resume)
    if distiller is not None:
        final_test(distiller, data, env, run_dir, RunLogger(run_dir, enabled=env.is_main, tensorboard=False),
                   seed=args.seed)


if __name__ == "__main__":
    main_guard(main)
