"""Methods declare themselves: registered names and families, command-line flags whose only
default is the constructor's, settings read once, and a new method appearing in the CLI."""
import argparse
import sys

import pytest
from torch import nn

from gendd.cli import UserError, main_guard
from gendd.cli.baselines import add_baseline_args, baseline_names, build_baseline
from gendd.distillers import get, names, register
from gendd.distillers.base import Distiller
from gendd.distillers.registry import _REGISTRY, _SETTINGS_TYPES, Flag, add_method_args
from helpers.toys import LinearToy


def test_every_method_has_its_family():
    assert baseline_names() == ["dkd", "ikl", "kd"]
    assert names("gendd")[0] == "gendd" and names("stage1") == ["gendd_pretrain"] and names("student") == ["vanilla"]
    assert [get(n).label for n in baseline_names()] == ["DKD", "IKL-KD", "KD"]


def test_flag_defaults_are_the_constructors_and_reach_the_distiller():
    assert get("kd").defaults() == {"ce_weight": 0.1, "kd_weight": 0.9, "kd_T": 4.0}
    assert get("dkd").defaults() == {"dkd_alpha": 1.0, "dkd_beta": 8.0, "kd_T": 4.0, "loss_warmup": 20.0}
    assert get("gendd").defaults()["smooth"] == 0.9
    p = argparse.ArgumentParser()
    add_baseline_args(p, with_student=True)
    args = p.parse_args(["--distill", "dkd", "--dkd_beta", "2", "--kd_T", "1"])
    assert get("dkd").settings(args) == get("dkd").settings_type()(dkd_alpha=1.0, dkd_beta=2.0, kd_T=1.0,
                                                                     loss_warmup=20.0)
    model = build_baseline(args, LinearToy(4, 6, classes=3), LinearToy(4, 6, classes=3))
    assert (model.alpha, model.beta, model.temperature, model.warmup_epochs) == (1.0, 2.0, 1.0, 20.0)
    vanilla = build_baseline(p.parse_args(["--distill", "vanilla"]), LinearToy(4, 6, classes=3), None)
    assert type(vanilla).__name__ == "Vanilla"
    with pytest.raises(UserError, match="temperature"):
        build_baseline(p.parse_args(["--distill", "kd", "--kd_T", "0"]), LinearToy(4, 6, classes=3), None)


class _Toy(Distiller):
    def __init__(self, student, teacher=None, weight: float = 2.5, temperature: float = 4.0):
        super().__init__(student, teacher)
        self.weight, self.temperature = weight, temperature

    def forward_train(self, images, labels):
        return {"ce": nn.functional.cross_entropy(self.student(images), labels)}


@pytest.fixture
def toy_method():
    register("toy", family="baseline", flags=(Flag("toy_weight", "toy weight", param="weight"),
                                              Flag("kd_T", "temperature of KD, DKD and IKL's SCE",
                                                   param="temperature")))(_Toy)
    yield "toy"
    del _REGISTRY["toy"]
    _SETTINGS_TYPES.pop("toy", None)


def test_a_new_baseline_is_a_choice_with_its_flags(toy_method):
    p = argparse.ArgumentParser()
    add_baseline_args(p)
    args = p.parse_args(["--distill", "toy", "--toy_weight", "0.5"])
    model = build_baseline(args, LinearToy(4, 6, classes=3), None)
    assert isinstance(model, _Toy) and (model.weight, model.temperature) == (0.5, 4.0)
    assert args.kd_weight == 0.9  # the other baselines' flags are still there


def test_shared_flags_must_agree_and_switches_default_to_off():
    class Hot(_Toy):
        def __init__(self, student, teacher=None, temperature: float = 1.0):
            super().__init__(student, teacher, temperature=temperature)

    register("hot", family="baseline", flags=(Flag("kd_T", "temperature of KD, DKD and IKL's SCE",
                                                   param="temperature"),))(Hot)
    try:
        with pytest.raises(ValueError, match="--kd_T of 'hot' differs"):
            add_method_args(argparse.ArgumentParser(), ["kd", "hot"])
    finally:
        del _REGISTRY["hot"]

    class On(_Toy):
        def __init__(self, student, teacher=None, fast: bool = True):
            super().__init__(student, teacher)

    with pytest.raises(ValueError, match="defaults to True"):
        register("on", flags=(Flag("fast", "x"),))(On)
    with pytest.raises(ValueError, match="registered twice"):
        register("kd")(On)
    assert "on" not in names()


def test_debug_flag_adds_the_traceback(monkeypatch, capsys):
    def fail():
        raise UserError("bad value")

    for argv, traceback in ((["x"], False), (["x", "--debug"], True)):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as stop:
            main_guard(fail)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.startswith("error: bad value\n")
        assert ("Traceback" in err) == traceback
