"""Methods declare themselves: registered names and families, command-line flags whose only
default is the constructor's and whose check is the constructor's rule, settings read once, and a
new method appearing in the CLI."""
import argparse
import math
import pathlib
import subprocess
import sys

import pytest
from torch import nn

from gendd.cli import UserError, main_guard
from gendd.cli.checked_parser import CheckedParser
from gendd.cli.baselines import add_baseline_args, baseline_names, build_baseline
from gendd.cli.gendd import add_sampling_args
from gendd.diffusion import DIFFUSION_STEPS
from gendd.distillers import get, names, register
from gendd.distillers.base import Distiller
from gendd.distillers.gendd import SAMPLING_CHECKS, STEPS_CHECK, SamplingSettings
from gendd.distillers.registry import _REGISTRY, _SETTINGS_TYPES, FAMILIES, Flag, add_method_args
from gendd.distillers.shared_flags import TEMPERATURE
from helpers.methods import tiny_distiller
from helpers.toys import LinearToy

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_method_has_a_family_a_label_and_a_distiller_class():
    assert names() == sorted(set(names())) and set(names()) == {n for f in FAMILIES for n in names(f)}
    assert baseline_names() == names("baseline")
    assert baseline_names(with_student=True) == names("baseline") + names("student")
    labels = [get(n).label for n in names()]
    assert all(labels) and len(set(labels)) == len(labels)
    assert all(issubclass(get(n).cls, Distiller) for n in names())
    # the built-in methods, their families and the labels the result tables show (a method a test
    # registers comes on top of these)
    assert {n: (get(n).family, get(n).label) for n in BUILT_IN} == BUILT_IN


BUILT_IN = {"vanilla": ("student", "student alone"), "kd": ("baseline", "KD"), "dkd": ("baseline", "DKD"),
            "ikl": ("baseline", "IKL-KD"), "gendd_pretrain": ("stage1", "GenDD stage 1"), "gendd": ("gendd", "GenDD"),
            "gendd_label_free": ("gendd", "GenDD (label-free)")}


def test_importing_gendd_distillers_registers_every_method_without_the_trees():
    listed = subprocess.run([sys.executable, "-c", "import sys; from gendd.distillers import names; "
                             "print(' '.join(names())); print(any(m.startswith('gendd_') for m in sys.modules))"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert listed[0].split() == names() and "gendd_label_free" in listed[0].split() and listed[1] == "False"


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
    register("toy", family="baseline", flags=(Flag("toy_weight", "toy weight", param="weight"), TEMPERATURE))(_Toy)
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


def candidates(default) -> list:
    """Values of the flag's type around its check's limits."""
    if isinstance(default, int):
        return [-1, 0, 1, 2]
    return [-1.0, 0.0, 0.5, 1.0, 2.0, math.inf, math.nan]


def checked_flags():
    return [(name, flag, default) for name in names()
            for flag, default in zip(get(name).flags, get(name).defaults().values()) if flag.check is not None]


@pytest.mark.parametrize("name,flag,default", checked_flags(), ids=lambda v: getattr(v, "name", str(v)))
def test_a_value_the_flag_check_refuses_the_constructor_refuses_and_one_it_accepts_builds(name, flag, default):
    tried = {True: 0, False: 0}
    for value in candidates(default):
        accepted = flag.check.ok(value)
        tried[accepted] += 1
        if accepted:
            tiny_distiller(name, values={flag.name: value})
        else:
            with pytest.raises(ValueError, match=flag.keyword):
                tiny_distiller(name, values={flag.name: value})
    assert tried[True] and tried[False]   # the candidates reach both sides of the rule


def test_the_command_line_refuses_what_the_flag_check_refuses():
    for name, flag, default in checked_flags():
        p = CheckedParser()
        add_method_args(p, [name])
        for value in candidates(default):
            if flag.check.ok(value):
                assert getattr(p.parse_args([f"--{flag.name}", str(value)]), flag.name) == value or math.isnan(value)
            else:
                with pytest.raises(UserError, match=f"--{flag.name} .* is not a valid value: it "):
                    p.parse_args([f"--{flag.name}", str(value)])


def test_the_sampling_flags_refuse_what_the_sampling_settings_refuse():
    p = CheckedParser()
    add_sampling_args(p)
    for field, check in [*SAMPLING_CHECKS.items(), ("steps", STEPS_CHECK)]:
        flag = "sampling_steps" if field == "steps" else field
        for value in candidates(getattr(SamplingSettings(), field)) + [DIFFUSION_STEPS, DIFFUSION_STEPS + 1]:
            settings = SamplingSettings(**{field: value})
            if check.ok(value):
                settings.check(DIFFUSION_STEPS)
                assert getattr(p.parse_args([f"--{flag}", str(value)]), flag) == value or math.isnan(value)
            else:
                with pytest.raises(ValueError, match=field):
                    settings.check(DIFFUSION_STEPS)
                with pytest.raises(UserError, match=f"--{flag} .* is not a valid value"):
                    p.parse_args([f"--{flag}", str(value)])


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
