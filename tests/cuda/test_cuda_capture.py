"""CUDA lane: every registered method's captured step replays as its program runs eagerly; a
step that cannot be captured falls back to eager steps with one line (in a child process, so
that a broken capture cannot touch the rest of the lane)."""
import contextlib
import json
import os
import subprocess
import sys

import pytest
import torch

from gendd.engine.capture import CapturedStep, StepProgram
from gendd.engine.optim import build_optimizer
from helpers.cuda_lane import DEVICE, LANE, ON_CUDA
from helpers.fault_tools import ROOT
from helpers.methods import case_id, method_cases, tiny_batch, tiny_distiller

pytestmark = LANE
STEPS = 6  # 3 eager warm-up steps, the capture (replayed at once), then replays


def train(case, use_graph: bool):
    name, switches = case
    distiller = tiny_distiller(name, switches, DEVICE)
    images, labels = tiny_batch(name, DEVICE)
    # SGD: the device's atomic sums (index_add) round differently from run to run, and AdamW's division by
    # sqrt(v) would turn that rounding of the near-zero gradients of the zero-initialised layers into ±lr steps
    opt = build_optimizer(distiller.param_groups(5e-4), "sgd", lr=0.05)
    notices = []
    step = CapturedStep(StepProgram(distiller, distiller, opt, contextlib.nullcontext, 1.0), use_graph,
                        notices.append)
    for i in range(STEPS):
        torch.manual_seed(100 + i)  # a replay reads the generator's seed and offset when it runs
        step(images, labels)
    if ON_CUDA:
        torch.cuda.synchronize()
    return {k: v.detach().float().cpu() for k, v in distiller.state_dict().items()}, step, notices


@pytest.mark.parametrize("case", method_cases(), ids=case_id)
def test_capture_replay_equals_the_eager_program_for_every_method(case):
    eager, _, _ = train(case, use_graph=False)
    captured, step, notices = train(case, use_graph=ON_CUDA)
    assert notices == [] and (step.graph is not None) == ON_CUDA
    for k in eager:
        scale = eager[k].abs().max().clamp(min=1e-6)
        assert (captured[k] - eager[k]).abs().max() <= 1e-4 * scale, k
        assert torch.isfinite(captured[k]).all(), k


def test_a_step_that_cannot_be_captured_runs_eagerly_after_one_line():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "tests", "GenDD_cifar"))}
    code = ("import json, sys; from helpers.capture_fallback import fallback_run; "
            "print(json.dumps(fallback_run(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, DEVICE], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["notices"]) == (1 if ON_CUDA else 0), result
    if ON_CUDA:
        assert "could not be captured" in result["notices"][0] and "\n" not in result["notices"][0]
    assert result["max_relative_difference"] <= 1e-4, result
