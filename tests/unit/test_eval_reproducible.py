"""The numbers a run's log shows are those of a fresh evaluation: the last in-training evaluation
of a GenDD run (``--eval_every 1``, several epochs, fused AdamW steps between evaluations) equals
``--evaluate --resume final.pth`` with the same sampler, seed and test set, in every logit, eager
and with ``--cuda_graph`` (on the CPU its program runs eagerly). Evaluations draw from their own
seeded generator and leave the training's random stream alone."""
import pytest
import torch

from gendd.engine import DatasetSource, TrainConfig, eval_loader, fit
from gendd.engine.dist import DistEnv
from gendd.engine.evaluate import evaluate
from gendd.engine.seeding import evaluation_seed
from helpers.eval_repro import last_evaluation_equals_fresh, record_eval_logits
from helpers.fresh_weights import tiny_gendd
from helpers.toys import ToyImages


@pytest.mark.slow
@pytest.mark.parametrize("flags", [(), ("--cuda_graph",)], ids=["eager", "cuda_graph"])
def test_last_in_training_evaluation_equals_a_fresh_evaluation(tmp_path, monkeypatch, flags):
    last_evaluation_equals_fresh(tmp_path, monkeypatch, "cpu", *flags)


def test_evaluation_seed_depends_on_seed_and_rank_only():
    seeds = {evaluation_seed(s, r) for s in range(3) for r in range(3)}
    assert len(seeds) == 9 and evaluation_seed(5, 1) == evaluation_seed(5, 1)
    assert all(0 <= s < 2**63 for s in seeds)


@pytest.mark.slow
def test_sampled_evaluation_is_seeded_and_leaves_the_global_stream_alone(monkeypatch):
    model = tiny_gendd().eval()
    loader = eval_loader(ToyImages(n=6, num_classes=4, seed=2), 3, 0, 1)
    calls = record_eval_logits(monkeypatch)
    state = torch.get_rng_state()
    first = evaluate(model, loader, torch.device("cpu"), seed=7)
    assert torch.equal(torch.get_rng_state(), state)  # the training's stream is untouched
    torch.manual_seed(123)
    again = evaluate(model, loader, torch.device("cpu"), seed=7)
    evaluate(model, loader, torch.device("cpu"), seed=8)
    assert first == again and model.sampling_generator is None
    a, b, c = (torch.cat([call["sampled"] for call in calls[i:i + 2]]) for i in (0, 2, 4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def train(run_dir, eval_every):
    torch.manual_seed(0)
    distiller = tiny_gendd(classes=4)
    source = DatasetSource(ToyImages(n=24, num_classes=4), 6, seed=3, rank=0, world_size=1, num_workers=0)
    cfg = TrainConfig(run_dir=str(run_dir), epochs=3, lr=1e-2, optimizer="adamw", lr_schedule="step", milestones=(),
                      seed=3, eval_every=eval_every, log_every=100)
    fit(distiller, source, eval_loader(ToyImages(n=6, num_classes=4, seed=2), 3, 0, 1), cfg, DistEnv())
    return distiller.state_dict()


@pytest.mark.slow
def test_evaluating_every_epoch_does_not_change_training(tmp_path):
    every, last_only = train(tmp_path / "every", 1), train(tmp_path / "last", 3)
    for k in every:
        assert torch.equal(every[k], last_only[k]), k
