"""GenDD's speed flags reach the distiller, the named sampling preset is selectable from the
flags and from the CIFAR and ImageNet evaluation launchers (PRESET=fast), --cuda_graph takes
auto/on/off, and the evaluation plan's flags and launcher variables reach the distiller."""
import argparse
import os
import subprocess
from functools import partial
from pathlib import Path

from gendd.cli.engine_flags import add_engine_args
from gendd.cli.gendd import SAMPLING_PRESETS, add_sampling_args, build_gendd
from helpers.toys import LinearToy
from helpers.parsers import gendd_parser, imagenet_gendd_parser
from reports import evaluate_runs

ROOT = Path(__file__).resolve().parents[2]
DS, DT = 24, 192
Toy = partial(LinearToy, 10, classes=7)  # Toy(feature dim) with the student/teacher contract


def test_preset_sets_the_sampling_flags_and_later_flags_still_apply():
    args = gendd_parser().parse_args(["--num_sampling", "5", "--sampling_preset", "fast"])
    assert {k: getattr(args, k) for k in SAMPLING_PRESETS["fast"]} == SAMPLING_PRESETS["fast"]
    args = gendd_parser().parse_args(["--sampling_preset", "fast", "--num_sampling", "3"])
    assert args.num_sampling == 3 and args.sampler == SAMPLING_PRESETS["fast"]["sampler"]


def test_speed_flags_reach_the_distiller():
    args = gendd_parser().parse_args(["--width", "32", "--depth", "1", "--reference_mode", "--grad_checkpoint"])
    model = build_gendd(args, Toy(DS), Toy(DT))
    assert not model.fast and not model.head.fast and model.head.checkpointing
    model = build_gendd(gendd_parser().parse_args(["--width", "32", "--depth", "1"]), Toy(DS), Toy(DT))
    assert model.fast and model.head.fast and not model.head.checkpointing and not model._compiled


def launched_args(tmp_path, launcher, env):
    """The arguments a launcher gives python (PYTHON replaced by a script that records them)."""
    record = tmp_path / "args.txt"
    fake = tmp_path / "python"
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(0o755)
    subprocess.run(["bash", str(launcher)], check=True, env={**os.environ, "PYTHON": str(fake), "GPUS": "1", **env},
                   capture_output=True)
    return record.read_text().splitlines()


def parse_sampling(argv):
    p = argparse.ArgumentParser()
    add_sampling_args(p)
    return p.parse_known_args(argv)[0]


def evaluate_sh_args(tmp_path, env):
    """The settings ``sh/evaluate.sh`` gives the report, read with the report's own parser."""
    argv = launched_args(tmp_path, ROOT / "GenDD_cifar/sh/evaluate.sh", env)
    assert argv[:2] == ["-m", "reports.evaluate_runs"], argv
    return evaluate_runs.parse(argv[2:])


def test_cifar_evaluate_launcher_accepts_preset(tmp_path):
    args = evaluate_sh_args(tmp_path, {"PRESET": "fast"})
    assert (args.sampler, args.sampling_steps, args.num_sampling) == tuple(
        SAMPLING_PRESETS["fast"][k] for k in ("sampler", "sampling_steps", "num_sampling"))
    plain = evaluate_sh_args(tmp_path, {})
    assert (plain.sampler, plain.sampling_steps, plain.num_sampling) == ("ancestral", 100, 5)
    assert (plain.save_dir, plain.dataset, plain.cfg_scale) == ("save", "cifar100", 2.0)


def test_imagenet_eval_launcher_accepts_preset(tmp_path):
    launcher = ROOT / "GenDD_imagenet/sh/imagenet_eval_res34res18_gendd.sh"
    args = parse_sampling(launched_args(tmp_path, launcher, {"PRESET": "fast"})[1:])
    assert (args.sampler, args.sampling_steps, args.num_sampling) == tuple(
        SAMPLING_PRESETS["fast"][k] for k in ("sampler", "sampling_steps", "num_sampling"))
    plain = launched_args(tmp_path, launcher, {})
    got = imagenet_gendd_parser().parse_known_args(plain[1:])[0]   # the eval script's flags (K = 64)
    assert "--sampling_preset" not in plain and (got.sampling_steps, got.num_sampling, got.cfg_scale) == (64, 5, 2.0)


def engine_parser():
    p = argparse.ArgumentParser()
    add_engine_args(p)
    return p


def test_cuda_graph_flag_and_where_it_captures():
    import pytest
    import torch

    from gendd.cli.engine_flags import CUDA_GRAPH_DEFAULT
    from gendd.engine.capture import capture_wanted
    from gendd.engine.dist import DistEnv
    p = engine_parser()
    assert p.parse_args([]).cuda_graph == CUDA_GRAPH_DEFAULT
    assert p.parse_args(["--cuda_graph", "--amp"]).cuda_graph == "on" and p.parse_args(["--cuda_graph"]).amp is False
    assert p.parse_args(["--cuda_graph", "auto"]).cuda_graph == "auto"
    with pytest.raises(SystemExit) as exit_info:
        p.parse_args(["--cuda_graph", "sometimes"])
    assert exit_info.value.code == 2
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert capture_wanted("auto", DistEnv(device=cuda)) and not capture_wanted("auto", DistEnv(device=cpu))
    assert not capture_wanted("auto", DistEnv(world_size=2, device=cuda))
    assert capture_wanted("on", DistEnv(device=cpu)) and capture_wanted(True, DistEnv())  # the CPU: with a notice
    assert not capture_wanted("off", DistEnv(device=cuda)) and not capture_wanted(False, DistEnv(device=cuda))


def test_evaluation_flags_reach_the_distiller_and_choose_the_best_metric():
    from gendd.cli.gendd import gendd_train_config
    from gendd.distillers.eval_plan import EvalPlan
    from gendd.distillers.gendd import SamplingSettings
    argv = ["--width", "32", "--depth", "1", "--sampled_every", "10", "--sampling_preset", "fast",
            "--final_sampling", "paper", "--epochs", "1", "--learning_rate", "1e-3", "--weight_decay", "0"]
    p = gendd_parser()
    p.add_argument("--epochs", type=int)
    p.add_argument("--learning_rate", type=float)
    p.add_argument("--weight_decay", type=float)
    add_engine_args(p)
    args = p.parse_args(argv)
    model = build_gendd(args, Toy(DS), Toy(DT))
    assert model.sampling == SamplingSettings(num_sampling=5, steps=10, cfg_scale=2.0, sampler="ancestral")
    assert model.eval_plan == EvalPlan(10, final=SamplingSettings(num_sampling=5, steps=100, cfg_scale=2.0))
    assert gendd_train_config(args, "run", 1).headline == "probe_top1"
    args = p.parse_args(argv[:4] + argv[-6:])
    assert build_gendd(args, Toy(DS), Toy(DT)).eval_plan == EvalPlan()
    assert gendd_train_config(args, "run", 1).headline == "sampled_top1"


def test_gendd_pair_launcher_evaluation_plans(tmp_path):
    launcher = ROOT / "GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh"
    p = gendd_parser()
    cheap = p.parse_known_args(launched_args(tmp_path, launcher, {})[1:])[0]
    assert (cheap.sampled_every, cheap.final_sampling) == (10, "paper")
    assert (cheap.sampler, cheap.sampling_steps, cheap.num_sampling) == ("ancestral", 10, 5)  # the fast preset
    original = p.parse_known_args(launched_args(tmp_path, launcher, {"EVAL_PLAN": "original"})[1:])[0]
    assert (original.sampled_every, original.final_sampling) == (1, None)
    assert (original.sampler, original.sampling_steps, original.num_sampling) == ("ancestral", 100, 1)
    other = p.parse_known_args(launched_args(tmp_path, launcher, {"SAMPLED_EVERY": "5", "FINAL_PRESET": "fast"})[1:])[0]
    assert (other.sampled_every, other.final_sampling) == (5, "fast")
    res = subprocess.run(["bash", str(launcher)], env={**os.environ, "EVAL_PLAN": "sometimes", "GPUS": "1"},
                         capture_output=True, text=True)
    assert res.returncode == 2 and "EVAL_PLAN=sometimes is not a plan" in res.stderr


def test_label_free_gendd_refuses_a_plan_that_skips_sampling():
    import pytest

    from gendd.cli import UserError
    for extra in (["--sampled_every", "10"], ["--final_sampling", "paper"]):
        args = gendd_parser().parse_args(["--width", "32", "--depth", "1", "--smooth", "0", *extra])
        with pytest.raises(UserError, match="no probe"):
            build_gendd(args, Toy(DS), Toy(DT), method="gendd_label_free")
    args = gendd_parser().parse_args(["--width", "32", "--depth", "1", "--smooth", "0"])
    assert not build_gendd(args, Toy(DS), Toy(DT), method="gendd_label_free").has_probe
