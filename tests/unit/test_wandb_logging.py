"""Optional Weights & Biases logging: off by default; ``--wandb`` without the package is refused
before anything is written; with it, every metrics.jsonl row reaches wandb at its step."""
import importlib.machinery
import json
import sys
import types

import pytest
from helpers.fault_tools import kd_args, kd_run_dir, make_world, refused, run_in_process

from gendd.engine.logger import wandb_available


class FakeWandb(types.ModuleType):
    """Records wandb.init / run.log / run.finish (the test has no wandb account or network)."""

    def __init__(self):
        super().__init__("wandb")
        self.__spec__ = importlib.machinery.ModuleSpec("wandb", None)
        self.inits, self.rows, self.finished = [], [], 0

    def init(self, **kwargs):
        self.inits.append(kwargs)
        return self

    def log(self, row, step):
        self.rows.append((step, row))

    def finish(self):
        self.finished += 1


def test_wandb_is_not_a_dependency_and_missing_wandb_is_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb fails, as when it is not installed
    assert not wandb_available()
    world = make_world(tmp_path)
    refused(kd_args(world, tmp_path / "save", 1, "--wandb"), "--wandb needs the wandb package", "pip install wandb")
    assert not kd_run_dir(tmp_path / "save").exists()
    code, out = run_in_process(kd_args(world, tmp_path / "save", 1))  # off by default: trains without it
    assert code == 0, out


def test_wandb_receives_every_metrics_row(tmp_path, monkeypatch):
    fake = FakeWandb()
    monkeypatch.setitem(sys.modules, "wandb", fake)
    monkeypatch.setenv("WANDB_PROJECT", "gendd-test")
    world = make_world(tmp_path)
    code, out = run_in_process(kd_args(world, tmp_path / "save", 1, "--wandb"))
    assert code == 0, out
    run = kd_run_dir(tmp_path / "save")
    (init,) = fake.inits
    assert init["project"] == "gendd-test" and init["name"] == run.name and init["config"]["wandb"] is True
    assert init["resume"] == "allow" and init["dir"] == str(run)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    expected = [(r["step"], {k: v for k, v in r.items() if k not in ("step", "time")}) for r in rows]
    assert fake.rows == expected and len(expected) > 1 and fake.finished == 1


@pytest.mark.parametrize("flag", [[], ["--wandb"]])
def test_turning_wandb_on_resumes_the_same_run(tmp_path, monkeypatch, flag):
    """--wandb changes what is logged, not what is computed: a finished run is not 'another configuration'."""
    monkeypatch.setitem(sys.modules, "wandb", FakeWandb())
    world = make_world(tmp_path)
    assert run_in_process(kd_args(world, tmp_path / "save", 1))[0] == 0
    code, out = run_in_process(kd_args(world, tmp_path / "save", 1, *flag))
    assert code == 0 and "learning_rate" not in out and "another configuration" not in out, out
