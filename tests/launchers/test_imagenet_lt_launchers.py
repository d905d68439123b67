"""ImageNet-LT launchers (sh_lt/) in smoke mode: the ResNeXt-101 (32x4d) teacher trains for one
epoch and its final.pth loads as a teacher; a GenDD resnet18 student trains from it; the eval
launchers report overall / many / medium / few-shot top-1. The resnet50 student launcher,
differing only in numbers, runs as a dry run. Command lines come from the launchers (recorded),
and run in this process."""
import json

import pytest
import torch
import yaml

from gendd_imagenet.teachers import load_teacher
from helpers.imagenet_smoke import SMALL_HEAD, lt_lists, record_launcher, run_in_process

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]

TRAIN_COUNTS = [101, 20, 1]  # one many-shot (>100), one medium-shot (20-100), one few-shot (<20) class
VAL_PER_CLASS = 2


def run(launcher, tmp_path, monkeypatch, **env):
    for command in record_launcher(launcher, tmp_path / "rec", **env):
        run_in_process(command, monkeypatch)


def check_shots(report: dict, readouts: tuple[str, ...]) -> None:
    """Each read-out's overall accuracy is its top-1, and with 2 test images per class and one
    class per group, each group's accuracy is that class's: 0, 50 or 100."""
    for name in readouts:
        shots = report["results"]["shots"][name]
        key = "top1" if name == "logits" else f"{name}_top1"
        assert shots["overall"] == pytest.approx(report["results"][key])
        assert all(shots[g] in (0.0, 50.0, 100.0) for g in ("many", "medium", "few"))
        assert shots["overall"] == pytest.approx(sum(shots[g] for g in ("many", "medium", "few")) / 3)


def test_lt_teacher_then_gendd_student_with_shot_groups(tmp_path, monkeypatch):
    save, table = tmp_path / "save", tmp_path / "imagenet.md"
    train_list, val_list = lt_lists(tmp_path / "imagenet", TRAIN_COUNTS, VAL_PER_CLASS)
    env = dict(DATA_ROOT=tmp_path / "imagenet", LT_TRAIN_LIST=train_list, LT_VAL_LIST=val_list, EPOCHS=1,
               IMAGE_SIZE=32, RESULTS_TABLE=table, GENDD_ARGS=SMALL_HEAD,
               EXTRA_ARGS=f"--device cpu --num_workers 0 --batch_size 32 --save_dir {save}")
    run("sh_lt/lt_train_resnext101_teacher.sh", tmp_path, monkeypatch, **env)
    (teacher_run,) = save.glob("lt_teacher/*")
    config = yaml.safe_load((teacher_run / "config.yaml").read_text())
    assert {k: config[k] for k in ("model_s", "learning_rate", "weight_decay", "warmup_epochs", "lr_schedule")} == dict(
        model_s="resnext101_32x4d", learning_rate=0.1, weight_decay=5e-4, warmup_epochs=10, lr_schedule="cosine")
    teacher_path = teacher_run / "final.pth"
    teacher = load_teacher(str(teacher_path), "resnext101_32x4d", num_classes=len(TRAIN_COUNTS))
    assert torch.equal(teacher.fc.weight, torch.load(teacher_path, weights_only=False)["model"]["student.fc.weight"])
    check_shots(json.loads((teacher_run / "eval.json").read_text()), ("logits",))  # reported after training

    run("sh_lt/lt_eval_resnext101_teacher.sh", tmp_path, monkeypatch, **env)
    run("sh_lt/lt_train_resnext101res18_gendd.sh", tmp_path, monkeypatch, TEACHER=teacher_path, **env)
    (student_run,) = save.glob("gendd_lt/*")
    config = yaml.safe_load((student_run / "config.yaml").read_text())
    keys = ("path_t", "smooth", "weight_decay", "warmup_epochs", "learning_rate", "cos")
    assert {k: config[k] for k in keys} == dict(
        path_t=str(teacher_path), smooth=0.0, weight_decay=0.2, warmup_epochs=20, learning_rate=2e-3, cos=True)
    run("sh_lt/lt_eval_resnext101res18_gendd.sh", tmp_path, monkeypatch, **env)
    report = json.loads((student_run / "eval_ancestral4_S5_cfg2.json").read_text())
    assert report["results"]["count"] == VAL_PER_CLASS * len(TRAIN_COUNTS)
    check_shots(report, ("sampled", "probe"))
    shots = report["results"]["shots"]["sampled"]
    rows = {line.split(" | ")[1]: line for line in table.read_text().splitlines() if line.startswith("| ImageNet-LT")}
    assert set(rows) == {"cross-entropy", "GenDD"}
    assert f"| {shots['many']:.2f} / {shots['medium']:.2f} / {shots['few']:.2f} |" in rows["GenDD"]

    dry = save.parent / "dry"
    run("sh_lt/lt_train_resnext101res50_gendd.sh", tmp_path, monkeypatch, TEACHER=teacher_path,
        **{**{k: v for k, v in env.items() if k != "EPOCHS"}, "GENDD_ARGS": "",
           "EXTRA_ARGS": f"--device cpu --num_workers 0 --dry_run --save_dir {dry}"})
    (res50,) = dry.glob("gendd_lt/*")
    config = yaml.safe_load((res50 / "config.yaml").read_text())
    assert {k: config[k] for k in ("model_s", "diffusion_batch_mul", "width", "depth", "epochs", "smooth")} == dict(
        model_s="resnet50", diffusion_batch_mul=10, width=1024, depth=3, epochs=100, smooth=0.0)
