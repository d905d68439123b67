"""The scripts in examples/ run as documented (docs/integration.md): the loop of one's own learns
(the loss falls, accuracy well above chance), training from cached teacher features gives bitwise
the weights of running the teacher at every step, and the ten-line engine example finishes."""
import runpy

import pytest
import torch

from helpers.fault_tools import ROOT
from helpers.threads import torch_threads

EXAMPLES = ROOT / "examples"


def example(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


@pytest.mark.slow
def test_own_training_loop_learns_and_cached_features_give_the_same_weights():
    module = example("own_training_loop.py")
    with torch_threads(1):
        live, cached = module["main"](), module["main"](cached=True)
    totals = [sum(step.values()) for step in live["history"]]
    assert sum(totals[-10:]) / 10 < 0.7 * sum(totals[:10]) / 10, totals
    assert live["accuracy"]["sampled"] > 30 and live["accuracy"]["probe"] > 30      # chance: 10 %
    assert live["student"].keys() == cached["student"].keys()
    assert all(torch.equal(live["student"][k], cached["student"][k]) for k in live["student"])
    assert live["accuracy"] == cached["accuracy"]


@pytest.mark.slow
def test_wrap_any_pair_example_trains_with_the_engine(tmp_path):
    with torch_threads(1):
        summary = example("wrap_any_pair.py")["main"](run_dir=str(tmp_path / "run"), epochs=1)
    assert summary["last_epoch"] == 1 and {"probe_top1", "sampled_top1"} <= set(summary["last"])
    assert (tmp_path / "run" / "final.pth").is_file()
