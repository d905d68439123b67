"""Evaluation reads the run: an evaluation command with no head flags rebuilds a head of a
non-default width and depth from the config.yaml its run recorded (both trees), and a
checkpoint with no config.yaml (the original implementation's) keeps the command line's flags."""
import pytest
import torch
import yaml

from gendd.cli import UserError
from gendd.cli.gendd import build_gendd
from gendd.cli.run_model import model_flags, with_run_model_flags
from gendd.engine.rundir import run_config_path
from gendd.distillers import get as get_method
from gendd.state_dicts import StateDictMismatch
from gendd_imagenet.evaluation import load_gendd_for_eval
from gendd_imagenet.models import build_model
from helpers.parsers import gendd_parser

RUN_HEAD = {"width": 48, "depth": 2, "token_dim": 32}   # none of them the default


def write_run(folder, head: dict, with_config: bool = True) -> str:
    """A run folder holding a GenDD final.pth with ``head`` (resnet18 student, 3 classes, Dt 128)
    and, with ``with_config``, the config.yaml of the flags it was trained with."""
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    args = gendd_parser().parse_args([f"--{k}={v}" for k, v in head.items()])
    distiller = build_gendd(args, build_model("resnet18", 3), None, (3, 128))
    torch.save({"model": distiller.state_dict(), "epoch": 1}, folder / "final.pth")
    if with_config:
        (folder / "config.yaml").write_text(yaml.safe_dump({**vars(args), "compile": True, "model_s": "resnet18"}))
    return str(folder / "final.pth")


def test_the_run_head_is_not_the_default():
    defaults = get_method("gendd").defaults()
    assert all(defaults[k] != v for k, v in RUN_HEAD.items())
    assert {"width", "depth", "token_dim", "smooth"} <= set(model_flags("gendd"))
    assert "compile" not in model_flags("gendd") and "grad_checkpoint" not in model_flags("gendd")


def test_imagenet_eval_without_head_flags_rebuilds_the_run_head(tmp_path):
    path = write_run(tmp_path / "run", RUN_HEAD)
    args = gendd_parser().parse_args([])   # what an eval launcher passes: no head flag
    assert args.width == get_method("gendd").defaults()["width"]
    model = load_gendd_for_eval(args, build_model("resnet18", 3), path, 3)
    assert (model.head.width, len(model.head.res_blocks), model.token_dim) == (48, 2, 32)
    saved = torch.load(path, weights_only=False)["model"]
    assert all(torch.equal(v, saved[k]) for k, v in model.state_dict().items())   # its weights, loaded strictly


def test_cifar_eval_reads_the_run_and_a_checkpoint_under_checkpoints_too(tmp_path):
    write_run(tmp_path / "run", RUN_HEAD)
    (tmp_path / "run" / "checkpoints").mkdir()
    inner = tmp_path / "run" / "checkpoints" / "ep_001.pth"
    inner.write_bytes((tmp_path / "run" / "final.pth").read_bytes())
    assert run_config_path(str(inner)) == str(tmp_path / "run" / "config.yaml")
    args = with_run_model_flags(gendd_parser().parse_args(["--num_sampling", "3"]), str(inner))
    assert {k: getattr(args, k) for k in RUN_HEAD} == RUN_HEAD
    assert args.num_sampling == 3 and args.compile is False   # the evaluation's own settings stay


def test_a_checkpoint_without_config_keeps_the_command_line_flags(tmp_path):
    path = write_run(tmp_path / "original", RUN_HEAD, with_config=False)
    assert run_config_path(path) is None
    with pytest.raises((UserError, StateDictMismatch)):   # the default head does not fit these weights
        load_gendd_for_eval(gendd_parser().parse_args([]), build_model("resnet18", 3), path, 3)
    args = gendd_parser().parse_args([f"--{k}={v}" for k, v in RUN_HEAD.items()])
    model = load_gendd_for_eval(args, build_model("resnet18", 3), path, 3)
    assert model.head.width == 48
