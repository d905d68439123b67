"""Every CIFAR launcher: dry runs built from their full command lines, end-to-end smoke runs
of each kind (GenDD two-stage; a logit baseline under torchrun with 2 processes), and
evaluate.sh's table from those finished runs."""
import json
import os
import pathlib
import re

import pytest
import torch

from helpers.fake_cifar import write_fake_cifar100
from gendd.cli.baselines import baseline_names
from gendd.distillers import get as get_method
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model
from helpers.launcher_tools import dry_run, free_port, recorded_commands, recorder, run_launcher

CIFAR = pathlib.Path(__file__).resolve().parents[2] / "GenDD_cifar"
LAUNCHERS = sorted(p.name for p in (CIFAR / "sh").glob("train_*.sh"))
TEACHERS = sorted({re.search(r"^TEACHER=\$\{TEACHER:-(\S+)\}", (CIFAR / "sh" / n).read_text(), re.M).group(1)
                   for n in LAUNCHERS})
CPU_ARGS = "--device cpu --num_workers 0 --skip_teacher_eval"
METHODS = ["gendd", *baseline_names()]  # what a launcher may train: GenDD or a registered baseline


def method_of(launcher: str) -> str:
    return launcher[:-len(".sh")].rsplit("_", 1)[1]


@pytest.fixture(scope="module")
def cifar_teachers(tmp_path_factory):
    """A fake CIFAR-100 world of 128 train and 40 test images with every launcher's teacher in <root>/save/models."""
    root = tmp_path_factory.mktemp("cifar")
    write_fake_cifar100(root / "data", n_train=128, n_test=40)
    torch.manual_seed(0)
    for arch in TEACHERS:
        save_model(build_model(arch, 100).eval(), root / "save" / "models" / f"{arch}_vanilla" / "ckpt_epoch_240.pth",
                   arch)
    return root


def base_env(world, **extra):
    env = {"DATA_ROOT": str(world / "data"), "SAVE_DIR": str(world / "save"), "GPUS": "1", "EPOCHS": "1",
           "EXTRA_ARGS": CPU_ARGS}
    env.update(extra)
    return env


def test_every_train_launcher_names_its_pair_and_a_registered_method():
    """A launcher is <pair>_<method>.sh for GenDD or a registered baseline, and every pair has the
    launchers of the paper's four methods (GenDD, KD, DKD, IKL-KD); a baseline registered later has
    the launchers a user wants (it needs none to be registered)."""
    pairs = {n.rsplit("_", 1)[0] for n in LAUNCHERS}
    assert {method_of(n) for n in LAUNCHERS} <= set(METHODS)
    for pair in pairs:
        assert {f"{pair}_{m}.sh" for m in ("gendd", "kd", "dkd", "ikl")} <= set(LAUNCHERS), pair
    assert {"train_res110_res32_gendd.sh", "train_res56_res20_gendd.sh", "train_res32x4_res8x4_gendd.sh",
            "train_vgg13vgg8_gendd.sh", "train_vgg13res20_gendd.sh", "train_wrn402_wrn162_gendd.sh",
            "train_wrn402_wrn401_gendd.sh", "train_wrn402_res8x4_gendd.sh"} <= set(LAUNCHERS)


@pytest.mark.slow
def test_every_train_launcher_dry_runs_from_its_full_command_line(cifar_teachers, tmp_path):
    record = tmp_path / "commands.jsonl"
    for name in LAUNCHERS:
        env = base_env(cifar_teachers, PYTHON=recorder(tmp_path), GENDD_RECORD=str(record),
                       SAVE_DIR=str(tmp_path / "save"), TEACHER_DIR=str(cifar_teachers / "save" / "models"))
        res = run_launcher(f"sh/{name}", str(CIFAR), env)
        assert res.returncode == 0, f"{name}: {res.stderr}"
    commands = recorded_commands(record)
    # GenDD launchers run stage 1 and stage 2, the baselines' one command
    assert len(commands) == sum(2 if get_method(method_of(n)).family == "gendd" else 1 for n in LAUNCHERS)
    for command in commands:
        out = dry_run(command)
        assert "dry run" in out, out


@pytest.fixture(scope="module")
def gendd_run(cifar_teachers):
    env = base_env(cifar_teachers, GENDD_ARGS="--width 64 --diffusion_batch_mul 2 --sampling_steps 5")
    res = run_launcher("sh/train_res56_res20_gendd.sh", str(CIFAR), env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return env, cifar_teachers / "save"


@pytest.fixture(scope="module")
def ikl_run(cifar_teachers):
    env = base_env(cifar_teachers, GPUS="2", GI="1", MASTER_PORT=str(free_port()))
    res = run_launcher("sh/train_res56_res20_ikl.sh", str(CIFAR), env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res, cifar_teachers / "save" / "student_ikl" / "S-resnet20_T-resnet56_cifar100_trial_0"


@pytest.mark.slow
def test_gendd_launcher_end_to_end(gendd_run):
    env, runs = gendd_run
    stage1 = runs / "student_pretrain" / "S-resnet20_T-resnet56_cifar100_trial_0"
    stage2 = runs / "student_gendd" / "S-resnet20_T-resnet56_cifar100_trial_0"
    for run in (stage1, stage2):
        assert {"final.pth", "summary.json", "metrics.jsonl", "config.yaml"} <= set(os.listdir(run))
        assert (run / "tensorboard").is_dir() and ":" not in run.name
    summary = json.loads((stage2 / "summary.json").read_text())
    assert summary["last_epoch"] == 1 and {"sampled_top1", "probe_top1"} <= set(summary["last"])
    assert "student starts from stage 1" in (stage2 / "log.txt").read_text()
    before = (stage2 / "final.pth").stat().st_mtime_ns
    again = run_launcher("sh/train_res56_res20_gendd.sh", str(CIFAR), env)   # the same command again
    assert again.returncode == 0 and "resumed from" in (stage2 / "log.txt").read_text()
    newest = stage2 / "checkpoints" / sorted(os.listdir(stage2 / "checkpoints"))[-1]
    assert torch.equal(torch.load(stage2 / "final.pth", weights_only=False)["model"]["student.fc.weight"],
                       torch.load(newest, weights_only=False)["model"]["student.fc.weight"])
    assert (stage2 / "final.pth").stat().st_mtime_ns >= before


@pytest.mark.slow
def test_ikl_launcher_end_to_end_under_torchrun_with_two_processes(ikl_run):
    res, run = ikl_run
    assert "torchrun: 1 node(s) x 2 process(es)" in res.stdout
    summary = json.loads((run / "summary.json").read_text())
    assert summary["last"]["count"] == 40          # every test image once across the 2 ranks
    assert (run / "log.txt").read_text().count("finished") == 1   # only rank 0 logs


@pytest.mark.slow
def test_evaluate_sh_builds_the_table_from_finished_runs(cifar_teachers, gendd_run, ikl_run, tmp_path):
    out = tmp_path / "cifar100.md"
    env = base_env(cifar_teachers, NUM_SAMPLING="1", STEPS="5", OUT=str(out), EXTRA_ARGS="--device cpu --num_workers 0")
    res = run_launcher("sh/evaluate.sh", str(CIFAR), env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    table = out.read_text()
    rows = [line for line in table.splitlines() if line.startswith("| resnet56")]
    assert len(rows) == 2 and {"gendd", "ikl"} == {row.split("|")[3].strip() for row in rows}
    ikl_top1 = json.loads((ikl_run[1] / "summary.json").read_text())["last"]["top1"]
    ikl_row = next(r for r in rows if "| ikl |" in r)
    assert f"| {ikl_top1:.2f} |" in ikl_row
    gendd_eval = cifar_teachers / "save" / "student_gendd" / "S-resnet20_T-resnet56_cifar100_trial_0" / \
        "eval_ancestral5_S1_cfg2.json"
    sampled = json.loads(gendd_eval.read_text())["sampled_top1"]
    assert f"| {sampled:.2f} |" in next(r for r in rows if "| gendd |" in r)
    assert "best during training" in table and "test" in table
