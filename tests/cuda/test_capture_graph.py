"""The captured step on a CUDA device (--cuda_graph): graph replays equal the same program run
eagerly, a non-finite step inside the graph is skipped exactly, and the graph survives a partial
batch and new epochs (it is captured again only when the distiller's graph_key changes)."""
import contextlib

import pytest
import torch

from gendd.engine.capture import CapturedStep, StepProgram
from helpers.toys import tiny_device_draw_gendd

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")]


def tiny_gendd():
    return tiny_device_draw_gendd().cuda().train()


def optimiser(name, model):
    groups = model.param_groups(5e-4)
    return (torch.optim.SGD(groups, lr=0.1, momentum=0.9, fused=True) if name == "sgd"
            else torch.optim.AdamW(groups, lr=1e-2, eps=1e-3, fused=True))


def close(a, b, rtol=1e-4):
    scale = b.abs().max().clamp(min=1e-6)
    assert (a - b).abs().max() <= rtol * scale, float((a - b).abs().max() / scale)


def run(name, use_graph, batches):
    """State after one step per (images, labels) batch, seeded before every step (a replay reads the
    generator's seed and offset when it runs, so graph and eager program draw the same numbers)."""
    model = tiny_gendd()
    opt = optimiser(name, model)
    step = CapturedStep(StepProgram(model, model, opt, contextlib.nullcontext), use_graph)
    for i, (images, labels) in enumerate(batches):
        torch.manual_seed(100 + i)
        step(images, labels)
    torch.cuda.synchronize()
    return {k: v.clone() for k, v in model.state_dict().items()}, step, opt


def batches(sizes):
    g = torch.Generator(device="cuda").manual_seed(1)
    return [(torch.randn(n, 10, device="cuda", generator=g), torch.randint(0, 7, (n,), device="cuda", generator=g))
            for n in sizes]


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_graph_replays_equal_the_eager_program_across_a_partial_batch(name):
    data = batches([6] * 6 + [4] + [6] * 3)  # 3 warm-up, capture, 2 replays, a partial batch, 3 replays
    eager, _, _ = run(name, False, data)
    graphed, step, opt = run(name, True, data)
    assert step.graph is not None
    for k in eager:
        assert torch.isfinite(graphed[k].float()).all()
        close(graphed[k].float(), eager[k].float())
    for p, grad in zip(step.program.weights, step.outputs[0]):
        assert p.grad is grad  # the replays' gradients are the ones the optimiser reads


def test_graph_is_kept_while_the_key_stays_and_captured_again_when_it_changes():
    model = tiny_gendd()
    step = CapturedStep(StepProgram(model, model, optimiser("adamw", model), contextlib.nullcontext), True)
    for images, labels in batches([6] * 5):
        step(images, labels)
    graph = step.graph
    step.use_key(None)
    assert step.graph is graph
    step.use_key(("epoch", 2))
    assert step.graph is None and step.warm == 0


def everything(model, opt):
    return list(model.state_dict().values()) + [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_a_nonfinite_step_inside_the_graph_changes_nothing(name):
    model = tiny_gendd()
    opt = optimiser(name, model)
    step = CapturedStep(StepProgram(model, model, opt, contextlib.nullcontext), True)
    data = batches([6] * 5)
    for images, labels in data:
        step(images, labels)
    assert step.graph is not None
    torch.cuda.synchronize()
    before = [t.clone() for t in everything(model, opt)]
    bad = data[0][0].clone()
    bad[0, 0] = float("nan")
    step(bad, data[0][1])
    torch.cuda.synchronize()
    after = everything(model, opt)
    assert bool(step.program.last_bad)
    assert all(torch.equal(a, b) for a, b in zip(after, before))
    step(*data[1])
    torch.cuda.synchronize()
    assert not bool(step.program.last_bad)
    assert not torch.equal(model.head.final_layer.linear.weight, before[list(model.state_dict()).index(
        "head.final_layer.linear.weight")])
