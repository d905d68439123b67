"""Evaluations after an optimiser step see the new weights: eval -> step -> eval equals a fresh
copy of the model, for every optimiser the engine builds (fused optimisers update parameters in
place without bumping their version counter, so no cache keyed on the tensors can notice)."""
import copy

import pytest
import torch
from helpers.toys import ToyNet

from gendd.distillers.gendd import GenDD, SamplingSettings
from gendd.engine.optim import build_optimizer
from gendd.head import Denoiser

OPTIMISERS = [("adamw", True), ("adamw", False), ("sgd", True), ("sgd", False)]


def _nonzero_head(width=32):
    torch.manual_seed(0)
    head = Denoiser(cond_dim=8, num_tokens=2, width=width, depth=2, token_dim=4)
    with torch.no_grad():
        for p in head.parameters():  # the zero-initialised layers would hide a stale copy
            p.add_(0.05 * torch.randn_like(p))
    return head


def _step(module, name, fused):
    optimizer = build_optimizer([{"params": list(module.parameters()), "weight_decay": 0.0}], name, lr=0.1,
                                fused=fused)
    for p in module.parameters():
        p.grad = torch.randn_like(p)
    optimizer.step()


@pytest.mark.parametrize("name,fused", OPTIMISERS)
def test_denoiser_eval_after_step_equals_fresh_copy(name, fused):
    head = _nonzero_head()
    x, y = torch.randn(6, 4), torch.randn(6, 32)
    with torch.no_grad(), head.fixed_weights():
        before = head.forward_with_y(x, y)
    _step(head, name, fused)
    with torch.no_grad():
        after = head.forward_with_y(x, y)
        fresh = copy.deepcopy(head).forward_with_y(x, y)
    assert not torch.equal(before, after)
    torch.testing.assert_close(after, fresh, rtol=0, atol=0)


@pytest.mark.parametrize("name,fused", OPTIMISERS)
def test_sampled_logits_after_step_equal_fresh_copy(name, fused):
    torch.manual_seed(0)
    model = GenDD(ToyNet(num_classes=4, width=8), teacher_fc=(4, 8), token_dim=4, width=32, depth=2,
                  diffusion_batch_mul=2, num_timesteps=50,
                  sampling=SamplingSettings(num_sampling=2, steps=5)).eval()
    with torch.no_grad():
        for p in model.head.parameters():
            p.add_(0.05 * torch.randn_like(p))
    images = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        model(images)
    _step(model, name, fused)
    fresh = copy.deepcopy(model)
    with torch.no_grad():
        torch.manual_seed(1)
        ours = model(images)["sampled"]
        torch.manual_seed(1)
        theirs = fresh(images)["sampled"]
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
