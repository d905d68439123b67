"""Validate before claiming: a bad flag value ends with exit 2 and one ``error:`` line before the
run folder exists (or, for an existing run, before its config.yaml is touched), and the
corrected command then runs; --resume_mode resume with a model that does not fit the run's
checkpoint leaves config.yaml as it was; a run whose result would be useless (every step
skipped, non-finite weights) ends with an error naming the cause and writes no final.pth."""
import pytest
import torch

from helpers.fault_tools import (gendd_args, gendd_run_dir, kd_args, kd_run_dir, refused, run,
                                 run_in_process, snapshot)
from gendd.cli.checked_parser import CheckedParser
from gendd.engine import DatasetSource, NonFiniteLoss, TrainConfig, eval_loader, fit
from gendd.engine.dist import DistEnv
from gendd.validation import flag_checks
from helpers.toys import CEDistiller, ToyImages, ToyNet

pytestmark = pytest.mark.slow
EXIT_NONFINITE = 3

KD_BAD = [("--epochs", "0"), ("--epochs", "-3"), ("--batch_size", "0"), ("--eval_every", "0"), ("--keep_last", "0"),
          ("--log_every", "0"), ("--learning_rate", "nan"), ("--learning_rate", "-0.1"),
          ("--learning_rate", "inf"), ("--learning_rate", "1e300"),
          ("--weight_decay", "-1e-4"), ("--momentum", "1.5"), ("--kd_T", "0"), ("--max_nonfinite", "0"),
          ("--num_workers", "-1"), ("--save_every_steps", "-2")]
GENDD_BAD = [("--width", "0"), ("--depth", "-1"), ("--sampling_steps", "0"), ("--sampling_steps", "2000"),
             ("--token_dim", "0"), ("--diffusion_batch_mul", "0"), ("--smooth", "1.5"), ("--cond_drop_prob", "1"),
             ("--beta2_min", "1"), ("--warmup_epochs", "-1"), ("--min_lr", "nan"), ("--num_sampling", "-1"),
             ("--cfg_scale", "inf")]


def with_flag(args, flag, value):
    return [*args, f"{flag}={value}"]   # argparse: the last one wins


def checked_flags(monkeypatch, args) -> set[str]:
    """The flags whose values the script's parser checks (the parser caught as it starts parsing)."""
    parsers = []

    def catch(parser, *_, **__):
        parsers.append(parser)
        raise SystemExit(0)

    monkeypatch.setattr(CheckedParser, "parse_known_args", catch)
    run_in_process(args)
    return set(flag_checks(parsers[0]))


def test_the_checks_cover_the_core_training_flags(world, tmp_path, monkeypatch):
    checked = checked_flags(monkeypatch, kd_args(world, tmp_path, 1)) | checked_flags(monkeypatch,
                                                                                      gendd_args(world, tmp_path, 1))
    assert {"epochs", "batch_size", "width", "depth", "sampling_steps", "eval_every", "keep_last", "log_every",
            "learning_rate", "weight_decay"} <= checked


@pytest.mark.parametrize("flag,value", KD_BAD)
def test_bad_kd_flag_values_are_refused_before_the_run_folder_exists(world, tmp_path, flag, value):
    refused(with_flag(kd_args(world, tmp_path / "save", 1), flag, value), f"{flag} ",
            "is not a valid value", "correct it and run the same command again")
    assert not (tmp_path / "save").exists()


@pytest.mark.parametrize("flag,value", GENDD_BAD)
def test_bad_gendd_flag_values_are_refused_before_the_run_folder_exists(world, tmp_path, flag, value):
    refused(with_flag(gendd_args(world, tmp_path / "save", 1), flag, value), flag, "is not a valid value")
    assert not (tmp_path / "save").exists()


def test_a_bad_value_leaves_an_existing_run_untouched_and_the_corrected_command_runs(world, tmp_path):
    code, out = run_in_process(kd_args(world, tmp_path, 1))
    assert code == 0, out
    before = snapshot(kd_run_dir(tmp_path))
    refused(kd_args(world, tmp_path, 0), "--epochs 0", "must be a finite number of at least 1")
    assert snapshot(kd_run_dir(tmp_path)) == before
    code, out = run_in_process(kd_args(world, tmp_path, 2))   # corrected: a longer run of the same folder
    assert code in (0, 2), out                                  # 2: another configuration (epochs differ)
    code, out = run_in_process(kd_args(world, tmp_path, 1))
    assert code == 0, out


def test_resume_with_a_model_that_does_not_fit_leaves_config_yaml_alone(world, tmp_path):
    code, out = run_in_process(gendd_args(world, tmp_path, 1))
    assert code == 0, out
    config = gendd_run_dir(tmp_path) / "config.yaml"
    before = (config.stat().st_mtime_ns, config.read_bytes())
    refused(gendd_args(world, tmp_path, 1, "--width", "48", "--resume_mode", "resume"), "does not fit",
            "--resume_mode resume continues a run only with the same model", "config.yaml is unchanged")
    assert (config.stat().st_mtime_ns, config.read_bytes()) == before
    code, out = run_in_process(gendd_args(world, tmp_path, 2, "--resume_mode", "resume"))   # a fitting change
    assert code == 0, out
    assert "epochs: 2" in config.read_text()


def test_a_run_whose_every_step_was_skipped_is_an_error_without_final_pth(world, tmp_path):
    res = run(kd_args(world, tmp_path, 1, "--max_nonfinite", "100"), {"nan_steps": list(range(1, 7))})
    assert res.returncode == EXIT_NONFINITE, res.stderr[-3000:]
    assert res.stderr.strip().splitlines()[-1].startswith("error: no optimiser step was taken: all 6 step(s)")
    assert not (kd_run_dir(tmp_path) / "final.pth").exists()


class BlowUp(CEDistiller):
    """Cross-entropy plus 1e30·|fc.weight|²: a finite loss whose first SGD step (lr 1e10) sends
    the weights to inf, after which every loss is non-finite and skipped."""

    def forward_train(self, images, labels):
        losses = super().forward_train(images, labels)
        return {"ce": losses["ce"] + 1e30 * self.student.fc.weight.pow(2).sum()}


def test_a_run_that_ends_with_non_finite_weights_is_an_error_without_final_pth(tmp_path):
    torch.manual_seed(0)
    source = DatasetSource(ToyImages(n=16), 4, seed=3)
    cfg = TrainConfig(run_dir=str(tmp_path), epochs=1, lr=1e10, optimizer="sgd", lr_schedule="step",
                      milestones=(), max_nonfinite=100)
    with pytest.raises(NonFiniteLoss, match=r"the trained weights hold NaN or inf \(\d+ tensor\(s\), e.g. student"):
        fit(BlowUp(ToyNet()), source, eval_loader(ToyImages(n=4, seed=1), 4), cfg, DistEnv())
    assert not (tmp_path / "final.pth").exists() and not (tmp_path / "summary.json").exists()
