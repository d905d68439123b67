"""CUDA lane: the last in-training evaluation of the CIFAR GenDD script equals a fresh
``--evaluate --resume final.pth`` (same sampler, seed, test set), eager (fused AdamW on the
device) and with ``--cuda_graph --gpu_data`` (see helpers/eval_repro.py)."""
import pytest

from helpers.cuda_lane import DEVICE, LANE
from helpers.eval_repro import last_evaluation_equals_fresh

pytestmark = LANE


@pytest.mark.parametrize("flags", [(), ("--cuda_graph", "--gpu_data")], ids=["eager", "cuda_graph"])
def test_in_training_evaluation_equals_a_fresh_evaluation(tmp_path, monkeypatch, flags):
    last_evaluation_equals_fresh(tmp_path, monkeypatch, DEVICE, *flags)
