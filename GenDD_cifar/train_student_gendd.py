"""GenDD stage 2 on CIFAR: the student's feature conditions a diffusion head that learns
to generate the teacher's feature (docs/method.md §3). Also ``--evaluate``: sampled and probe
accuracy of a checkpoint (this project's or the reference implementation's)."""
import json
import os

from gendd.cli import UserError, add_training_args, fit_or_stop, main_guard, run_name, start_process, start_run
from gendd.engine import evaluate
from gendd.gendd_cli import (add_gendd_args, build_gendd, checkpoint_teacher_fc, eval_tag, gendd_train_config,
                             load_gendd_weights)
from gendd.pretrain_cli import start_from_stage1
from gendd_cifar.common import (add_teacher_args, base_parser, build_data, final_test, report_teacher,
                                teacher_from_args)
from gendd_cifar.models import build_model
from gendd_cifar.teachers import infer_arch
from train_student_pretrain import stage1_run_dir


def parse():
    p = base_parser(__doc__)
    add_teacher_args(p, required=False)
    p.add_argument("--model_s", default="resnet8x4")
    add_training_args(p, epochs=240, learning_rate=1e-3, weight_decay=5e-2)
    add_gendd_args(p)
    return p.parse_args()


def run_dir_of(args) -> str:
    t_name = args.arch_t or (infer_arch(args.path_t) if args.path_t else None) or "teacher"
    return os.path.join(args.save_dir, "student_gendd",
                        run_name(f"S-{args.model_s}", f"T-{t_name}", args.dataset, "trial", args.trial))


RUN_STAGE1 = "run train_student_pretrain.py with the same --model_s/--path_t/--dataset/--trial/--save_dir"


def evaluate_only(args, env, data, student, teacher, run_dir):
    """Sampled and probe accuracy of --resume (default: the run's final.pth) on the test set."""
    path = args.resume or os.path.join(run_dir, "final.pth")
    distiller = build_gendd(args, student, teacher, None if teacher else checkpoint_teacher_fc(path))
    load_gendd_weights(distiller, path)
    result = evaluate(distiller.to(env.device), data.test, env.device, channels_last=True)
    result["settings"] = vars(distiller.sampling)
    out = os.path.join(os.path.dirname(os.path.abspath(path)), eval_tag(args) + ".json")
    if env.is_main:
        with open(out, "w") as fh:
            json.dump(result, fh, indent=2)
        print(json.dumps(result, indent=2))
    return result


def main():
    args = parse()
    env = start_process(args)
    run_dir = run_dir_of(args)
    data = build_data(args, env)
    student = build_model(args.model_s, data.sets.num_classes)
    if args.evaluate:
        teacher = teacher_from_args(args, env, data.sets.num_classes)[0] if args.path_t else None
        return evaluate_only(args, env, data, student, teacher, run_dir)
    if not args.path_t:
        raise UserError("training needs the teacher: pass --path_t")
    teacher, arch_t = teacher_from_args(args, env, data.sets.num_classes)
    stage1 = start_from_stage1(args, student, stage1_run_dir(args), RUN_STAGE1)
    distiller = build_gendd(args, student, teacher)
    if args.resume:
        load_gendd_weights(distiller, args.resume)
    cfg = gendd_train_config(args, run_dir, args.epochs)
    logger = start_run(args, env, run_dir)
    report_teacher(teacher, arch_t, args, env, data, logger)
    if stage1:
        logger.info(f"student starts from stage 1: {stage1}")
    if fit_or_stop(args, logger, distiller, data.source, data.eval, cfg, env):
        final_test(distiller, data, env, run_dir, logger)


if __name__ == "__main__":
    main_guard(main)
