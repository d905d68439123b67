"""The check that a run's last in-training evaluation equals a fresh ``--evaluate --resume
final.pth`` with the same sampler, seed and test set: accuracies and every logit, for the real
CIFAR GenDD script on the tiny fake CIFAR world of ``helpers.fault_tools`` (shared by the CPU test
and the CUDA lane)."""
from __future__ import annotations

import json
import pathlib

import torch

from gendd.distillers.gendd import GenDD
from helpers.fault_tools import gendd_args, gendd_run_dir, make_world, run_in_process

SAMPLER = ("--num_sampling", "2", "--sampling_steps", "3", "--sampler", "ancestral", "--cfg_scale", "2")
EPOCHS = 3


def record_eval_logits(monkeypatch) -> list[dict[str, torch.Tensor]]:
    """Every GenDD eval forward's logits from now on, in call order (CPU copies)."""
    calls = []
    forward_eval = GenDD.forward_eval

    def recording(self, images):
        out = forward_eval(self, images)
        calls.append({k: v.detach().float().cpu().clone() for k, v in out.items()})
        return out

    monkeypatch.setattr(GenDD, "forward_eval", recording)
    return calls


def last_evaluation_equals_fresh(root: pathlib.Path, monkeypatch, device: str = "cpu", *flags: str) -> dict:
    """Train ``EPOCHS`` epochs with ``--eval_every 1`` (``flags`` added, e.g. --cuda_graph), then
    evaluate final.pth in a new run of the script; assert that the last in-training evaluation
    and the fresh one agree in every logit and accuracy. Returns the fresh evaluation."""
    world = make_world(root / "world")
    save = root / "save"
    common = [*gendd_args(world, save, EPOCHS, "--eval_every", "1", *SAMPLER, *flags)]
    common[common.index("--device") + 1] = device
    calls = record_eval_logits(monkeypatch)
    code, out = run_in_process(common)
    assert code == 0, out[-3000:]
    run = gendd_run_dir(save)
    in_training = calls[-1]  # 16 test images: one batch per evaluation
    assert len(calls) == EPOCHS
    calls.clear()
    code, out = run_in_process([*common, "--evaluate", "--resume", str(run / "final.pth")])
    assert code == 0, out[-3000:]
    (fresh,) = calls
    assert in_training.keys() == fresh.keys() == {"sampled", "probe"}
    for name in fresh:  # bitwise on the CPU; on CUDA up to a library's choice of kernel for another call
        gap = (in_training[name] - fresh[name]).abs().max().item()
        allowed = 0.0 if device == "cpu" else 1e-5 * fresh[name].abs().max().item()
        assert gap <= allowed, f"{name} logits differ by {gap:.3g}"
    last = json.loads((run / "summary.json").read_text())["last"]
    result = json.loads((run / "eval_ancestral3_S2_cfg2.json").read_text())
    for key in ("sampled_top1", "sampled_top5", "probe_top1", "probe_top5"):
        assert last[key] == result[key], key
    return result
