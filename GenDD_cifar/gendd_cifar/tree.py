"""The CIFAR tree's glue for the script bodies both trees share (``gendd.cli.tree.Tree``)."""
from gendd.cli.tree import Tree

from .data_args import build_data
from .models import build_model
from .run_dirs import stage1_run_dir
from .teacher_args import report_teacher, teacher_from_args, teacher_kwargs

TREE = Tree(build_data=build_data, build_model=build_model, teacher_from_args=teacher_from_args,
            report_teacher=report_teacher, teacher_kwargs=teacher_kwargs, stage1_run_dir=stage1_run_dir,
            how_to_run_stage1="run train_student_pretrain.py with the same --model_s/--path_t/--dataset/--trial/"
                              "--save_dir")
