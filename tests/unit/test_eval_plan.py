"""GenDD's evaluation plan: the probe at every evaluation, the sampled path every N epochs with the
per-epoch setting and after the last epoch with the final one; best.pth on a read-out computed the
same way at every evaluation."""
import dataclasses
import json

import pytest
import torch
from torch.utils.data import TensorDataset

from gendd.distillers.eval_plan import EvalPlan
from gendd.distillers.gendd import GenDD, SamplingSettings
from gendd.engine import DatasetSource, TrainConfig, eval_loader, fit
from gendd.engine.dist import DistEnv
from helpers.toys import LinearToy

PER_EPOCH = SamplingSettings(num_sampling=1, steps=100)
PAPER = SamplingSettings(num_sampling=5, steps=100)


def test_the_plan_picks_the_setting_of_each_evaluation():
    plan = EvalPlan(sampled_every=10, final=PAPER)
    assert plan.setting(PER_EPOCH, 10, last=False) == PER_EPOCH
    assert plan.setting(PER_EPOCH, 7, last=False) == dataclasses.replace(PER_EPOCH, num_sampling=0)
    assert plan.setting(PER_EPOCH, 240, last=True) == PAPER
    assert EvalPlan(sampled_every=0).setting(PER_EPOCH, 10, last=False).num_sampling == 0
    assert EvalPlan(sampled_every=0).setting(PER_EPOCH, 3, last=True) == PER_EPOCH
    assert all(EvalPlan().setting(PER_EPOCH, e, last=False) == PER_EPOCH for e in range(1, 5))
    with pytest.raises(ValueError, match="sampled_every must be >= 0"):
        EvalPlan(sampled_every=-1)


@pytest.mark.parametrize("plan, per_epoch, metric", [
    (EvalPlan(), PER_EPOCH, "sampled_top1"),                                   # the original implementation
    (EvalPlan(final=dataclasses.replace(PER_EPOCH)), PER_EPOCH, "sampled_top1"),  # the same setting at the end
    (EvalPlan(final=PAPER), PER_EPOCH, "probe_top1"),                            # two settings: not comparable
    (EvalPlan(sampled_every=10), PER_EPOCH, "probe_top1"),                       # not at every evaluation
    (EvalPlan(), dataclasses.replace(PER_EPOCH, num_sampling=0), "probe_top1"),  # no sampling at all
])
def test_best_is_chosen_on_a_read_out_computed_the_same_way_every_time(plan, per_epoch, metric):
    assert plan.best_metric(per_epoch) == metric


def tiny_gendd(plan):
    torch.manual_seed(0)
    model = GenDD(LinearToy(10, 24, classes=7), LinearToy(10, 128, classes=7), diffusion_batch_mul=2,
                  width=16, depth=1, sampling=SamplingSettings(num_sampling=1, steps=3))
    model.eval_plan = plan
    return model


@pytest.mark.slow
def test_training_evaluates_with_the_plan(tmp_path):
    final = SamplingSettings(num_sampling=2, steps=4)
    model = tiny_gendd(EvalPlan(sampled_every=2, final=final))
    seen = []
    sample = model.sample_features
    model.sample_features = lambda z, generator=None: seen.append((model.epoch, model.sampling)) or sample(z, generator)
    g = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(16, 10, generator=g), torch.randint(0, 7, (16,), generator=g))
    cfg = TrainConfig(run_dir=str(tmp_path), epochs=5, lr=1e-3, optimizer="adamw", seed=0,
                      headline=model.eval_plan.best_metric(model.sampling))
    summary = fit(model, DatasetSource(data, 8, seed=0), eval_loader(data, 8), cfg, DistEnv())
    per_epoch = SamplingSettings(num_sampling=1, steps=3)
    assert seen == [(2, per_epoch)] * 2 + [(4, per_epoch)] * 2 + [(5, final)] * 2   # 2 evaluation batches each
    assert model.sampling == per_epoch  # restored after every evaluation
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = {r["eval/epoch"]: r for r in rows if "eval/epoch" in r}
    assert sorted(evals) == [1, 2, 3, 4, 5]
    assert [("eval/sampled_top1" in evals[e]) for e in range(1, 6)] == [False, True, False, True, True]
    assert all("eval/probe_top1" in r for r in evals.values())
    assert summary["best"]["metric"] == "probe_top1"
    assert summary["best"]["value"] == max(r["eval/probe_top1"] for r in evals.values())
    assert (tmp_path / "best.pth").is_file()
    assert summary["last"]["sampled_top1"] == evals[5]["eval/sampled_top1"]
