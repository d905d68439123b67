"""GenDD's speed flags reach the distiller, and the named sampling preset is selectable from the
flags and from the CIFAR and ImageNet evaluation launchers (PRESET=fast)."""
import argparse
import os
import shlex
import subprocess
from functools import partial
from pathlib import Path

from gendd.cli.gendd import SAMPLING_PRESETS, add_gendd_args, add_sampling_args, build_gendd
from helpers.toys import LinearToy

ROOT = Path(__file__).resolve().parents[2]
DS, DT = 24, 192
Toy = partial(LinearToy, 10, classes=7)  # Toy(feature dim) with the student/teacher contract


def gendd_parser():
    p = argparse.ArgumentParser()
    add_gendd_args(p)
    return p


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


def test_cifar_evaluate_launcher_accepts_preset(tmp_path):
    argv = launched_args(tmp_path, ROOT / "GenDD_cifar/sh/evaluate.sh", {"PRESET": "fast"})
    args = parse_sampling(argv[1:])
    assert (args.sampler, args.sampling_steps, args.num_sampling) == tuple(
        SAMPLING_PRESETS["fast"][k] for k in ("sampler", "sampling_steps", "num_sampling"))
    plain = parse_sampling(launched_args(tmp_path, ROOT / "GenDD_cifar/sh/evaluate.sh", {})[1:])
    assert (plain.sampler, plain.sampling_steps, plain.num_sampling) == ("ancestral", 100, 5)


def test_imagenet_eval_launcher_accepts_preset(tmp_path):
    launcher = ROOT / "GenDD_imagenet/sh/imagenet_eval_res34res18_gendd.sh"
    args = parse_sampling(launched_args(tmp_path, launcher, {"PRESET": "fast"})[1:])
    assert (args.sampler, args.sampling_steps, args.num_sampling) == tuple(
        SAMPLING_PRESETS["fast"][k] for k in ("sampler", "sampling_steps", "num_sampling"))
    plain = launched_args(tmp_path, launcher, {})
    assert "--sampling_preset" not in plain and shlex.join(plain).count("--sampling_steps 64") == 1
