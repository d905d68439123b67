"""GenDD stage 2 on CIFAR: the student's feature conditions a diffusion head that learns
to generate the teacher's feature (docs/method.md §3). Also ``--evaluate``: sampled and probe
accuracy of a checkpoint (this project's or the reference implementation's)."""
from gendd.cli import UserError, add_training_args, fit_or_stop, main_guard, start_process, start_run
from gendd.cli.gendd import add_gendd_args, build_gendd, gendd_train_config, load_gendd_weights
from gendd.cli.stage1 import start_from_stage1
from gendd_cifar.data_args import base_parser, build_data
from gendd_cifar.evaluation import evaluate_gendd, final_test
from gendd_cifar.models import build_model
from gendd_cifar.run_dirs import run_dir_of, stage1_run_dir
from gendd_cifar.teacher_args import add_teacher_args, report_teacher, teacher_from_args

RUN_STAGE1 = "run train_student_pretrain.py with the same --model_s/--path_t/--dataset/--trial/--save_dir"


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
    student = build_model(args.model_s, data.sets.num_classes)
    if args.evaluate:
        teacher = teacher_from_args(args, env, data) if args.path_t else None
        return evaluate_gendd(args, env, data, student, teacher, run_dir)
    if not args.path_t:
        raise UserError("training needs the teacher: pass --path_t")
    teacher = teacher_from_args(args, env, data)
    stage1 = start_from_stage1(args, student, stage1_run_dir(args), RUN_STAGE1)
    distiller = build_gendd(args, student, teacher)
    if args.resume:
        load_gendd_weights(distiller, args.resume)
    cfg = gendd_train_config(args, run_dir, args.epochs)
    logger = start_run(args, env, run_dir)
    report_teacher(teacher, args, env, data, logger)
    if stage1:
        logger.info(f"student starts from stage 1: {stage1}")
    if fit_or_stop(args, logger, distiller, data.source, data.eval, cfg, env):
        final_test(distiller, data, env, run_dir, logger)


if __name__ == "__main__":
    main_guard(main)
