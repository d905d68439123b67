"""``GenDD(compile=True)`` (torch.compile of the student backbone and the head network) computes
what the eager fast path computes, and keeps the state_dict layout. Compiling takes about a
minute on 2 CPU cores."""
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
