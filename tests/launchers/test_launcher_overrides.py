"""Every launcher variable can be overridden from the environment and reaches the python command.

For each launcher of both trees, every variable it sets at the top (``NAME=${NAME:-value}``) and
every variable its shared part passes on when set (the defaults it does not restate) gets a
distinct sentinel number from the environment; each sentinel must then appear in the
command lines the launcher runs (recorded by a stand-in interpreter). The run-folder and teacher
overrides of the ImageNet trees (SAVE_DIR, TEACHER_DIR, PATH_T), the CIFAR default of one
process, and one override checked in config.yaml through a dry run follow."""
import pathlib
import re

import pytest
import torch
import yaml

from helpers.fake_cifar import write_fake_cifar100
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model
from helpers.launcher_tools import dry_run, recorded_commands, recorder, run_launcher

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAUNCHERS = sorted(p for tree, sub in (("GenDD_cifar", "sh"), ("GenDD_imagenet", "sh"), ("GenDD_imagenet", "sh_lt"))
                   for p in (ROOT / tree / sub).glob("[a-z]*.sh")
                   if p.name not in ("evaluate.sh", "fetch_pretrained_teachers.sh")
                   and not p.name.startswith(("prepare_", "check_")))   # data preparation: no hyper-parameters
OVERRIDABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=\$\{\1:-([^${}]*)\}", re.M)   # a default without $: a value
ASSIGNED = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S*)", re.M)
NOT_OVERRIDABLE = {"SCRIPT", "METHOD", "EVAL_ARGS", "RUN_ARGS"}   # what the launcher is, built flags


SOURCED = re.compile(r'/(\w+\.sh)"\n\Z')   # the last line sources the tree's shared part or another launcher
OPTIONAL = re.compile(r"^optional_flags \w+ ((?:.*\\\n)*.*)$", re.M)   # NAME=--flag pairs, over continued lines


def sourced(launcher: pathlib.Path) -> pathlib.Path:
    return launcher.parent / SOURCED.search(launcher.read_text()).group(1)


def variables(launcher: pathlib.Path) -> dict[str, str]:
    """The launcher's top-of-file variables, and those of the launcher it extends (one row's variant)."""
    own = dict(OVERRIDABLE.findall(launcher.read_text()))
    base = sourced(launcher)
    return own if base.name.startswith("_") else {**variables(base), **own}


def shared_part(launcher: pathlib.Path) -> pathlib.Path:
    base = sourced(launcher)
    return base if base.name.startswith("_") else shared_part(base)


def shared_variables(launcher: pathlib.Path) -> set[str]:
    """The variables the launcher's shared part turns into flags when set (the defaults a launcher
    does not restate), and BATCH where the shared part gives the tree's global batch."""
    text = shared_part(launcher).read_text()
    text += "".join((launcher.parent / name).read_text() for name in re.findall(r'/(_\w+\.sh)"$', text, re.M))
    assigned = dict(ASSIGNED.findall(text))
    passed = {pair.split("=")[0] for args in OPTIONAL.findall(text) for pair in args.split() if "=--" in pair}
    batch = {"BATCH"} if assigned.get("BATCH", "").startswith('"${BATCH:-') else set()
    return (passed - set(assigned)) | batch


def record(launcher: pathlib.Path, tmp_path, **env) -> list[list[str]]:
    rec = tmp_path / f"{launcher.stem}.jsonl"
    rec.unlink(missing_ok=True)
    res = run_launcher(str(launcher), str(launcher.parent.parent),
                       {"PYTHON": recorder(tmp_path), "GENDD_RECORD": str(rec), "GPUS": "1", **env})
    assert res.returncode == 0, f"{launcher.name}: {res.stderr}"
    return [c["argv"] for c in recorded_commands(rec)]


def test_every_top_of_file_variable_is_overridable():
    trees = {p.parent.parent.name + "/" + p.parent.name for p in LAUNCHERS}
    assert trees == {"GenDD_cifar/sh", "GenDD_imagenet/sh", "GenDD_imagenet/sh_lt"}   # found on disk in each
    for launcher in LAUNCHERS:
        text = launcher.read_text()
        fixed = {name for name, value in ASSIGNED.findall(text)} - set(variables(launcher)) - NOT_OVERRIDABLE
        derived = {name for name, value in ASSIGNED.findall(text) if value.lstrip("\"").startswith(f"${{{name}:-")}
        assert fixed <= derived, f"{launcher.name}: {sorted(fixed - derived)} ignore the environment"
        if "_eval_" not in launcher.name:   # a global batch for split_batch: the launcher's or its tree's
            assert "BATCH" in set(variables(launcher)) | shared_variables(launcher), launcher.name


@pytest.mark.slow
@pytest.mark.parametrize("tree", ["GenDD_cifar", "GenDD_imagenet"])
def test_every_override_reaches_the_command(tree, tmp_path):
    for launcher in [p for p in LAUNCHERS if p.parent.parent.name == tree]:
        names = sorted((set(variables(launcher)) | shared_variables(launcher)) - NOT_OVERRIDABLE)
        if "gendd" in launcher.name and "_eval_" not in launcher.name:   # defaults the launcher does not restate
            assert {"WIDTH", "DEPTH"} <= set(names), launcher.name
        sentinels = {name: str(7_770_000 + 16 * i) for i, name in enumerate(names)}   # BATCH: divisible
        commands = record(launcher, tmp_path, **sentinels)
        words = " ".join(" ".join(c) for c in commands)
        missing = [name for name, value in sentinels.items() if value not in words]
        assert not missing, f"{launcher.name}: {missing} do not reach the command"


def flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_imagenet_run_folder_and_teacher_overrides(tmp_path):
    kd = ROOT / "GenDD_imagenet" / "sh" / "imagenet_train_res34res18_kd.sh"
    (default,) = record(kd, tmp_path)
    assert (flag(default, "--save_dir"), flag(default, "--path_t"), flag(default, "--batch_size")) == (
        "save", "torchvision", "512")
    (cmd,) = record(kd, tmp_path, SAVE_DIR="/runs", TEACHER_DIR="/teachers")
    assert (flag(cmd, "--save_dir"), flag(cmd, "--path_t")) == ("/runs", "/teachers/resnet34.pth")
    for precedence in ({"PATH_T": "/a.pth", "TEACHER": "/b.pth"}, {"TEACHER": "/a.pth", "TEACHER_DIR": "/t"}):
        (cmd,) = record(kd, tmp_path, **precedence)
        assert flag(cmd, "--path_t") == "/a.pth"
    for launcher in ("sh/cc3m_train_res34res18_unsupervised_gendd.sh", "sh/imagenet_train_res34res18_gendd.sh"):
        for cmd in record(ROOT / "GenDD_imagenet" / launcher, tmp_path, SAVE_DIR="/runs", PATH_T="/t.pth"):
            assert (flag(cmd, "--save_dir"), flag(cmd, "--path_t")) == ("/runs", "/t.pth")
    (cmd,) = record(ROOT / "GenDD_imagenet" / "sh" / "imagenet_eval_res34res18_gendd.sh", tmp_path, SAVE_DIR="/runs")
    assert flag(cmd, "--save_dir") == "/runs"
    lt = ROOT / "GenDD_imagenet" / "sh_lt" / "lt_train_resnext101res18_gendd.sh"
    (cmd,) = record(lt, tmp_path, SAVE_DIR="/runs", TRIAL="3")
    assert flag(cmd, "--path_t") == "/runs/lt_teacher/resnext101_32x4d_imagenet_lt_trial_3/final.pth"
    assert flag(cmd, "--save_dir") == "/runs"
    (cmd,) = record(lt, tmp_path, TEACHER_DIR="/lt")
    assert flag(cmd, "--path_t") == "/lt/resnext101_32x4d_imagenet_lt_trial_0/final.pth"


FAKE_8_GPUS = """#!{python}
import json, os, sys
if sys.argv[1:2] == ["-c"]:   # launch.sh asking for the number of visible GPUs
    print(8)
else:
    with open(os.environ["GENDD_RECORD"], "a") as fh:
        fh.write(json.dumps({{"cwd": os.getcwd(), "argv": sys.argv[1:]}}) + "\\n")
"""


def test_cifar_launchers_default_to_one_process_imagenet_to_every_gpu(tmp_path):
    import sys
    fake = tmp_path / "python_8_gpus"
    fake.write_text(FAKE_8_GPUS.format(python=sys.executable))
    fake.chmod(0o755)
    for launcher, first in (("GenDD_cifar/sh/train_res56_res20_kd.sh", "train_student_kd.py"),
                            ("GenDD_imagenet/sh/imagenet_train_res34res18_kd.sh", "-m")):
        rec = tmp_path / "commands.jsonl"
        rec.unlink(missing_ok=True)
        res = run_launcher(str(ROOT / launcher), str(ROOT), {"PYTHON": str(fake), "GENDD_RECORD": str(rec), "GPUS": ""})
        assert res.returncode == 0, res.stderr
        (command,) = recorded_commands(rec)
        assert command["argv"][0] == first, launcher
    assert "--nproc_per_node=8" in command["argv"] and "global batch 512 = 8 process(es) x 64" in res.stdout
    res = run_launcher(str(ROOT / "GenDD_cifar/sh/train_res56_res20_kd.sh"), str(ROOT),
                       {"PYTHON": str(fake), "GENDD_RECORD": str(rec), "GPUS": "3"})
    assert res.returncode == 2 and res.stderr.startswith("error: the global batch BATCH=64 does not split evenly")


def test_an_override_reaches_config_yaml(tmp_path):
    write_fake_cifar100(tmp_path / "data", n_train=40, n_test=20)
    torch.manual_seed(0)
    save_model(build_model("resnet56", 100).eval(), tmp_path / "models" / "resnet56_vanilla" / "ckpt_epoch_240.pth",
               "resnet56")
    launcher = ROOT / "GenDD_cifar" / "sh" / "train_res56_res20_gendd.sh"
    commands = record(launcher, tmp_path, SMOOTH="0.8", BATCH="32", DATA_ROOT=str(tmp_path / "data"),
                      SAVE_DIR=str(tmp_path / "save"), TEACHER_DIR=str(tmp_path / "models"),
                      EXTRA_ARGS="--device cpu --num_workers 0 --skip_teacher_eval")
    out = dry_run({"cwd": str(ROOT / "GenDD_cifar"), "argv": commands[1]})
    assert "dry run" in out
    (config,) = (tmp_path / "save" / "student_gendd").glob("*/config.yaml")
    got = yaml.safe_load(config.read_text())
    assert (got["smooth"], got["batch_size"], got["batch_per_process"], got["world_size"]) == (0.8, 32, 32, 1)
