"""Trials are seeds: without --seed, trial N trains with seed N, so two trials differ, while
the same trial repeats bitwise on CPU; an explicit --seed still wins."""
import pathlib

import yaml

from helpers.fault_tools import assert_bitwise_equal, final_weights, kd_args, run_in_process
from gendd.cli import trial_seed


def kd_trial(world, save_dir, trial: str, *extra: str) -> pathlib.Path:
    code, out = run_in_process(kd_args(world, save_dir, 1, "--trial", trial, *extra))
    assert code == 0, out
    return save_dir / "student_kd" / f"S-resnet8_T-resnet8_cifar100_trial_{trial}"


def recorded_seed(run_dir: pathlib.Path) -> int:
    return yaml.safe_load((run_dir / "config.yaml").read_text())["seed"]


def test_trial_seed_rule():
    assert [trial_seed(t) for t in ("0", "1", "17")] == [0, 1, 17]
    assert trial_seed("teacher") == trial_seed("teacher") != trial_seed("limited")
    assert trial_seed("teacher") == 0xB0F6A6D5      # CRC-32 of b"teacher": the same on every machine


def test_two_trials_differ_and_a_trial_repeats_bitwise(world, tmp_path):
    first = kd_trial(world, tmp_path / "a", "1")
    again = kd_trial(world, tmp_path / "b", "1")
    other = kd_trial(world, tmp_path / "a", "2")
    assert (recorded_seed(first), recorded_seed(other)) == (1, 2)
    assert_bitwise_equal(final_weights(first), final_weights(again))
    a, b = final_weights(first), final_weights(other)
    assert any(not a[k].equal(b[k]) for k in a if a[k].is_floating_point())


def test_explicit_seed_wins_over_the_trial(world, tmp_path):
    pinned = kd_trial(world, tmp_path / "c", "5", "--seed", "1")
    reference = kd_trial(world, tmp_path / "d", "1")
    assert recorded_seed(pinned) == 1
    assert_bitwise_equal(final_weights(pinned), final_weights(reference))
