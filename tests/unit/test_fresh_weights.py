"""Evaluations after an optimiser step see the new weights: eval -> step -> eval equals a fresh
copy of the model, for every way the engine updates weights (fused and for-each AdamW and SGD,
the fused step with found_inf after the captured program) and with the compiled head (see helpers/fresh_weights.py)."""
import functools

import pytest
import torch

from helpers.fresh_weights import UPDATES, denoiser_after_step, sampled_after_step, update_id


@pytest.mark.parametrize("name,how", UPDATES, ids=map(update_id, UPDATES))
def test_denoiser_eval_after_step_equals_fresh_copy(name, how):
    before, after, fresh = denoiser_after_step(name, how)
    assert not torch.equal(before, after)
    torch.testing.assert_close(after, fresh, rtol=0, atol=0)


@pytest.mark.parametrize("name,how", UPDATES, ids=map(update_id, UPDATES))
def test_sampled_logits_after_step_equal_fresh_copy(name, how):
    ours, theirs = sampled_after_step(name, how)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


@pytest.mark.slow
def test_compiled_head_sampled_logits_after_step_equal_fresh_copy(monkeypatch):
    """``compile=True`` (backend aot_eager here: no C compiler needed): the compiled head reads the
    weights of the sampling loop it runs in, not those of the loop it was traced in."""
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="aot_eager"))
    torch._dynamo.reset()
    ours, theirs = sampled_after_step("adamw", "fused", compile=True)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
