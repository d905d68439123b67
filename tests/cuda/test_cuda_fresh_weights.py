"""CUDA lane: evaluations after optimiser steps see the new weights on the device: fused and
for-each AdamW/SGD and the captured program's update (as on the CPU), and steps replayed from a CUDA
graph (a replay changes the weights without any version counter or Python code seeing it)."""
import contextlib

import pytest
import torch

from gendd.engine.capture import CapturedStep, StepProgram, set_device_draws
from gendd.engine.optim import build_optimizer
from helpers.cuda_lane import DEVICE, LANE, ON_CUDA
from helpers.fresh_weights import UPDATES, denoiser_after_step, sampled_after_step, tiny_gendd, update_id

pytestmark = LANE
CLOSE = dict(rtol=1e-5, atol=1e-6)  # a stale weight moves outputs by ~0.1


@pytest.mark.parametrize("name,how", UPDATES, ids=map(update_id, UPDATES))
def test_eval_after_a_step_equals_a_fresh_copy(name, how):
    before, after, fresh = denoiser_after_step(name, how, DEVICE)
    assert not torch.allclose(before, after, **CLOSE)
    torch.testing.assert_close(after, fresh, **CLOSE)
    ours, theirs = sampled_after_step(name, how, DEVICE)
    torch.testing.assert_close(ours, theirs, **CLOSE)


def sampled(model, images):
    model.eval()
    model.sampling_generator = torch.Generator(device=DEVICE).manual_seed(4)
    with torch.no_grad():
        return model(images)["sampled"]


def test_eval_after_replayed_steps_equals_a_fresh_copy():
    model = tiny_gendd(device=DEVICE)
    set_device_draws(model)
    g = torch.Generator().manual_seed(5)
    images, labels = torch.randn(6, 3, 8, 8, generator=g).to(DEVICE), torch.randint(0, 4, (6,), generator=g).to(DEVICE)
    before = sampled(model, images)
    opt = build_optimizer(model.param_groups(5e-4), "adamw", lr=1e-2)
    step = CapturedStep(StepProgram(model, model, opt, contextlib.nullcontext), ON_CUDA)
    model.train()
    for _ in range(6):  # 3 warm-up steps, the capture, 2 replays
        step(images, labels)
    assert (step.graph is not None) == ON_CUDA
    ours = sampled(model, images)
    fresh = tiny_gendd(device=DEVICE)
    fresh.load_state_dict(model.state_dict())
    assert not torch.allclose(before, ours, **CLOSE)
    torch.testing.assert_close(ours, sampled(fresh, images), **CLOSE)
