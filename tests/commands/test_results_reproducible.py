"""Results tables that are reproducible (GenDD_cifar/reports/evaluate_runs.py): the sampled accuracy of a
GenDD run is the same number on every fresh evaluation, whatever the state of the random
generators before it (the draws are seeded with the run's seed); the cache is reused only under
the same settings (temperature, η, seed and the rest) and the same final.pth; a truncated cache
file is evaluated again with a warning instead of keeping the run out of the table; a sampling
value the run cannot use is refused before anything is evaluated. The world: the fake CIFAR-100
with 400 test images (so that two unseeded draws almost never agree), one GenDD run of 1 epoch."""
import json

import pytest
import torch

from helpers.fake_cifar import write_fake_cifar100
from helpers.fault_tools import STEPS_PER_EPOCH, gendd_args, gendd_run_dir, refused, run_in_process, teacher_path

pytestmark = pytest.mark.slow
EVAL = ["--dataset", "cifar100", "--num_sampling", "1", "--sampling_steps", "3", "--device", "cpu",
        "--num_workers", "0"]
CACHE = "eval_ancestral3_S1_cfg2.json"


@pytest.fixture(scope="module")
def gendd_run(tmp_path_factory):
    from gendd_cifar.models import build_model
    from gendd_cifar.teachers import save_model
    world = tmp_path_factory.mktemp("reproducible")
    write_fake_cifar100(world / "data", n_train=8 * STEPS_PER_EPOCH, n_test=400)
    torch.manual_seed(0)
    save_model(build_model("resnet8", 100).eval(), teacher_path(world), "resnet8")
    code, out = run_in_process(gendd_args(world, world / "save", 1, "--trial", "3"))
    assert code == 0, out[-3000:]
    return world / "save", gendd_run_dir(world / "save").with_name("S-resnet8_T-resnet8_cifar100_trial_3")


def evaluate(save, out, *extra):
    code, text = run_in_process(["reports/evaluate_runs.py", "--save_dir", str(save), "--out", str(out), *EVAL, *extra])
    assert code == 0, text[-3000:]
    return text


def gendd_row(out):
    return next(line for line in out.read_text().splitlines() if "| gendd |" in line)


def test_the_same_final_pth_gives_the_same_number_on_every_call(gendd_run, tmp_path):
    save, run = gendd_run
    results = []
    for disturbance in (1, 2, 3):
        (run / CACHE).unlink(missing_ok=True)
        torch.manual_seed(disturbance)           # whatever ran before in the same process
        torch.rand(disturbance)
        evaluate(save, tmp_path / "t.md")
        cached = json.loads((run / CACHE).read_text())
        results.append((cached["sampled_top1"], cached["sampled_top5"]))
    assert results[0] == results[1] == results[2], results
    assert cached["key"]["seed"] == 3   # the run's seed (--trial 3), from its config.yaml


@pytest.mark.parametrize("first,key_change,then", [
    ([], {}, ["--temperature", "0.5"]),                                         # another temperature
    (["--sampler", "ddim"], {}, ["--sampler", "ddim", "--eta", "0.5"]),         # another DDIM η
    ([], {"seed": 4}, []),                                                      # a result of another seed
    ([], {"temperature": 0.5}, []),                                             # the key itself is checked
])
def test_the_cache_is_reused_only_under_the_same_settings(gendd_run, tmp_path, first, key_change, then):
    save, run = gendd_run
    evaluate(save, tmp_path / "t.md", *first)
    cache = run / (CACHE.replace("ancestral", "ddim") if first else CACHE)
    cached = json.loads(cache.read_text())
    evaluate(save, tmp_path / "t.md", *first)
    assert json.loads(cache.read_text()) == cached                   # the same settings: reused as it is
    cache.write_text(json.dumps(dict(cached, sampled_top1=123.0, key=dict(cached.get("key", {}), **key_change))))
    evaluate(save, tmp_path / "t.md", *then)
    assert "| 123.00 |" not in gendd_row(tmp_path / "t.md")


def test_a_truncated_cache_is_evaluated_again_with_a_warning(gendd_run, tmp_path):
    save, run = gendd_run
    evaluate(save, tmp_path / "t.md")
    whole = (run / CACHE).read_text()
    (run / CACHE).write_text(whole[: len(whole) // 2])
    text = evaluate(save, tmp_path / "t.md")
    assert f"warning: cached evaluation '{run / CACHE}' cannot be read (JSONDecodeError" in text
    assert "evaluated again" in text and "left out of the table" not in text
    assert f"| {json.loads(whole)['sampled_top1']:.2f} |" in gendd_row(tmp_path / "t.md")
    assert json.loads((run / CACHE).read_text()) == json.loads(whole)


def test_a_sampling_value_the_run_cannot_use_is_refused_first(gendd_run, tmp_path):
    save, _ = gendd_run
    refused(["reports/evaluate_runs.py", "--save_dir", str(save), "--out", str(tmp_path / "t.md"), *EVAL,
             "--sampling_steps", "2000"], "--sampling_steps 2000 is not a valid value", "1000 diffusion steps")
    assert not (tmp_path / "t.md").exists()
