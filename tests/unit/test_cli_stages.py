"""The shared stage bodies of ``gendd.cli`` take objects, not the command line: the teacher a
tree's script built (``Teacher``, its log line and teacher.json), the stage-1 file stage 2
starts from (``stage1_start``) and the run folder (``RunFolder``)."""
import argparse
import inspect
import json

import pytest
import torch
from torch import nn

from gendd.cli import UserError, run_folder
from gendd.cli.gendd import train_gendd
from gendd.cli.stage1 import stage1_start, train_stage1
from gendd.cli.stage_run import run_stage
from gendd.cli.teacher import Teacher, report_teacher
from gendd.engine import DistEnv, RunLogger


class Linear(nn.Module):
    """A teacher whose classifier is ``fc``, as every zoo teacher's is."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def test_no_stage_body_takes_the_command_line():
    for body in (train_stage1, train_gendd, run_stage):
        assert "args" not in inspect.signature(body).parameters, body.__name__


def test_stage1_start_is_the_given_file_or_the_finished_stage1_run(tmp_path):
    assert stage1_start("some/file.pth", str(tmp_path), False, "run stage 1") == "some/file.pth"
    assert stage1_start("", str(tmp_path), False, "run stage 1") == ""
    assert stage1_start("auto", str(tmp_path), True, "run stage 1") == ""   # a dry run before stage 1 ran
    with pytest.raises(UserError, match=r"no finished stage-1 run at .*final.pth; run stage 1 first"):
        stage1_start("auto", str(tmp_path), False, "run stage 1")
    (tmp_path / "final.pth").write_bytes(b"")
    assert stage1_start("auto", str(tmp_path), False, "run stage 1") == str(tmp_path / "final.pth")


def test_a_recorded_teacher_is_evaluated_logged_and_written(tmp_path):
    teacher = Linear()
    images = torch.randn(8, 4)
    labels = teacher(images).argmax(1)   # every prediction right: top-1 100 %
    logger = RunLogger(str(tmp_path), tensorboard=False)
    report_teacher(Teacher(teacher, "toy", "toy.pth", eval_data=[(images, labels)], split="val", record=True),
                   DistEnv(), logger)
    assert "teacher toy (toy.pth): val top-1 100.00 %, top-5 100.00 %" in (tmp_path / "log.txt").read_text()
    assert json.loads((tmp_path / "teacher.json").read_text())["top1"] == 100.0


def test_an_unevaluated_teacher_logs_nothing_and_a_shapes_only_one_says_so(tmp_path):
    logger = RunLogger(str(tmp_path), tensorboard=False)
    report_teacher(Teacher(Linear(), "toy", "toy.pth"), DistEnv(), logger)
    assert not (tmp_path / "log.txt").exists() and not (tmp_path / "teacher.json").exists()
    with torch.device("meta"):
        meta = Linear()
    teacher = Teacher(meta, "toy", "torchvision")
    assert teacher.gendd_kwargs() == {"teacher": None, "teacher_fc": (3, 4)}
    report_teacher(teacher, DistEnv(), logger)
    assert "dry run: torchvision teacher toy built with shapes only (no download)" in (tmp_path / "log.txt").read_text()


def test_the_run_folder_records_the_flags_once():
    args = argparse.Namespace(resume_mode="resume", dry_run=True, seed=3, batch_size=8)
    folder = run_folder(args, "save/run")
    args.seed = 4   # later changes to the namespace do not reach the folder
    assert (folder.path, folder.resume_mode, folder.dry_run, folder.wandb) == ("save/run", "resume", True, False)
    assert folder.config == {"batch_size": 8, "dry_run": True, "resume_mode": "resume", "seed": 3}
