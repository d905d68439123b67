"""``GenDD(compile=True)`` (torch.compile of the student backbone and the head network) computes
what the eager fast path computes, and keeps the state_dict layout. Compiling takes about a
minute on 2 CPU cores."""
import contextlib

import pytest
import torch
from test_speed_equivalence import DS, DT, IN, Toy, assert_float_equal, awake

from gendd.distillers.gendd import GenDD


@pytest.mark.slow
def test_compiled_gendd_matches_eager_in_training_and_sampling():
    torch.manual_seed(0)
    teacher = Toy(DT)
    options = dict(smooth=0.7, diffusion_batch_mul=2, width=32, depth=2, mixup_beta=0.0)
    compiled = GenDD(Toy(DS), teacher, compile=True, **options)
    awake(compiled.head)
    eager = GenDD(Toy(DS), teacher, **options)
    eager.load_state_dict(compiled.state_dict())
    assert list(compiled.state_dict()) == list(eager.state_dict())
    x, y = torch.randn(4, IN), torch.randint(0, 7, (4,))
    results = []
    for model in (eager, compiled):
        torch.manual_seed(1)
        losses = model(x, y)
        sum(losses.values()).backward()
        model.eval()
        model.sampling.steps = 5
        torch.manual_seed(2)
        sampled = model(x)["sampled"]
        model.train()
        results.append((losses["diffusion"].detach(), [p.grad for p in model.head.parameters()], sampled))
    (loss_e, grads_e, sampled_e), (loss_c, grads_c, sampled_c) = results
    assert_float_equal(loss_c, loss_e)
    for g_c, g_e in zip(grads_c, grads_e):
        torch.testing.assert_close(g_c, g_e, rtol=1e-4, atol=1e-5 * g_e.abs().max().item())
    assert_float_equal(sampled_c, sampled_e)


@pytest.mark.slow
def test_compiled_head_and_loss_give_the_eager_step_losses_and_gradients():
    """``compile_head``: the training loss after the random draws compiled (inductor): the same
    draws (mixup, dropout mask, t, noise) give the eager step's losses and gradients, over the
    steps of a captured-step program (optimiser steps between the calls)."""
    from torch._dynamo.utils import counters

    from gendd.engine.capture import StepProgram
    torch.manual_seed(0)
    teacher = Toy(DT)
    options = dict(smooth=0.7, diffusion_batch_mul=3, width=32, depth=2)
    graphs = counters["stats"]["unique_graphs"]
    x, y = torch.randn(6, IN), torch.randint(0, 7, (6,))
    runs = []
    for compile_head in (False, True):
        torch.manual_seed(1)
        model = GenDD(Toy(DS), teacher, compile_head=compile_head, **options)
        awake(model.head)
        model.device_draws = True
        optimizer = torch.optim.AdamW(model.param_groups(5e-4), lr=1e-3, eps=1e-3, fused=True)
        program = StepProgram(model, model, optimizer, contextlib.nullcontext)
        losses, grads = [], []
        torch.manual_seed(2)
        for _ in range(3):
            program.forward_backward(x, y)
            losses.append({k: v.detach().clone() for k, v in program.last.items()})
            grads.append([p.grad.clone() for p in model.head.parameters()])
            program.update()
        runs.append((losses, grads))
    assert counters["stats"]["unique_graphs"] > graphs  # the compiled run did run a compiled graph
    (loss_e, grads_e), (loss_c, grads_c) = runs
    for step_e, step_c in zip(loss_e, loss_c):
        for k in step_e:
            assert_float_equal(step_c[k], step_e[k])
    for step_e, step_c in zip(grads_e, grads_c):
        for g_e, g_c in zip(step_e, step_c):
            torch.testing.assert_close(g_c, g_e, rtol=1e-4, atol=1e-5 * g_e.abs().max().item())
