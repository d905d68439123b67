"""Results tables that never lie. CIFAR (reports/evaluate_runs.py, sh/evaluate.sh): a row per trial
(plus mean ± std), a cached GenDD evaluation reused only while final.pth is the same file, a
validation-split run shown with its final test accuracy or marked when it has none (never with
its validation accuracy), unfinished and unreadable runs listed and skipped, and a mistyped
SAVE_DIR or a folder without a finished run an error that leaves the table as it was.
ImageNet (results_table.py): rows of two trials with the same seed both kept, unreadable reports
named and skipped, none readable an error that leaves the table alone."""
import json
import os

import pytest

from helpers.fault_tools import CIFAR, gendd_args, gendd_run_dir, kd_args, kd_run_dir, make_world, run_in_process
from gendd_imagenet import results_table
from helpers.launcher_tools import run_launcher

pytestmark = pytest.mark.slow
EVAL = ["--dataset", "cifar100", "--num_sampling", "1", "--sampling_steps", "3", "--device", "cpu",
        "--num_workers", "0"]


def trial_dir(save, trial):
    return kd_run_dir(save).with_name(f"S-resnet8_T-resnet8_cifar100_trial_{trial}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """KD trials 0 and 1, a KD trial 'val' with a validation split, a GenDD run: 1 epoch each."""
    root = tmp_path_factory.mktemp("tables")
    world, save = make_world(root / "world"), root / "save"
    for args in (kd_args(world, save, 1), kd_args(world, save, 1, "--trial", "1"),
                 kd_args(world, save, 1, "--trial", "val", "--val_split", "8"), gendd_args(world, save, 1)):
        code, out = run_in_process(args)
        assert code == 0, out[-3000:]
    return world, save


def evaluate(save, out, *extra):
    return run_in_process(["reports/evaluate_runs.py", "--save_dir", str(save), "--out", str(out), *EVAL, *extra])


def rows_of(text, method):
    return [line for line in text.splitlines() if line.startswith("| resnet8") and f"| {method} |" in line]


def last_top1(run_dir):
    return json.loads((run_dir / "summary.json").read_text())["last"]["top1"]


def test_a_row_per_trial_and_validation_accuracy_never_shown_as_test(runs, tmp_path):
    _, save = runs
    val_run = trial_dir(save, "val")
    test_json = val_run / "test.json"
    assert test_json.is_file()
    saved = test_json.read_bytes()
    test_json.unlink()
    try:
        code, out = evaluate(save, tmp_path / "t.md")
    finally:
        test_json.write_bytes(saved)
    assert code == 0, out[-3000:]
    rows = rows_of((tmp_path / "t.md").read_text(), "kd")
    by_trial = {row.rstrip(" |").rsplit("|", 1)[1].strip(): row for row in rows}
    assert set(by_trial) == {"0", "1", "val", "mean ± std of 3"}, rows
    for trial in ("0", "1"):
        assert f"| {last_top1(trial_dir(save, trial)):.2f} |" in by_trial[trial]
    assert "no final test (test.json missing)" in by_trial["val"]
    assert f"| {last_top1(val_run):.2f} |" not in by_trial["val"].split("(ep")[0]   # the validation accuracy

    code, out = evaluate(save, tmp_path / "t.md")
    assert code == 0, out[-3000:]
    val_row = next(r for r in rows_of((tmp_path / "t.md").read_text(), "kd") if r.rstrip(" |").endswith("val"))
    assert f"| {json.loads(saved)['top1']:.2f} |" in val_row


def test_cached_gendd_evaluation_is_reused_only_for_the_same_final_pth(runs, tmp_path):
    _, save = runs
    run = gendd_run_dir(save)
    code, out = evaluate(save, tmp_path / "t.md")
    assert code == 0, out[-3000:]
    cache = run / "eval_ancestral3_S1_cfg2.json"
    cached = json.loads(cache.read_text())
    assert cached["checkpoint"]["size"] == (run / "final.pth").stat().st_size
    cache.write_text(json.dumps(dict(cached, sampled_top1=123.0)))
    code, out = evaluate(save, tmp_path / "t.md")
    assert code == 0 and "| 123.00 |" in rows_of((tmp_path / "t.md").read_text(), "gendd")[0]   # reused
    stat = (run / "final.pth").stat()
    os.utime(run / "final.pth", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))   # another final.pth
    code, out = evaluate(save, tmp_path / "t.md")
    assert code == 0, out[-3000:]
    row = rows_of((tmp_path / "t.md").read_text(), "gendd")[0]
    assert "| 123.00 |" not in row and f"| {cached['sampled_top1']:.2f} |" in row


def test_unfinished_and_unreadable_runs_are_listed_and_skipped(runs, tmp_path):
    world, save = runs
    broken = trial_dir(save, "1") / "summary.json"
    saved = broken.read_bytes()
    broken.write_text("{")
    unfinished = trial_dir(save, "2")
    unfinished.mkdir()
    (unfinished / "config.yaml").write_text((trial_dir(save, "0") / "config.yaml").read_text())
    try:
        code, out = evaluate(save, tmp_path / "t.md")
    finally:
        broken.write_bytes(saved)
        for name in os.listdir(unfinished):
            os.remove(unfinished / name)
        unfinished.rmdir()
    assert code == 0, out[-3000:]
    text = (tmp_path / "t.md").read_text()
    assert f"- {trial_dir(save, '1')}: unreadable (JSONDecodeError" in text
    assert f"- {unfinished}: not finished (no summary.json, final.pth)" in text
    assert f"warning: {trial_dir(save, '1')} left out of the table" in out
    assert {r.rstrip(' |').rsplit('|', 1)[1].strip() for r in rows_of(text, "kd")} == {"0", "val", "mean ± std of 2"}


def test_mistyped_save_dir_or_no_finished_run_leaves_the_table_untouched(runs, tmp_path):
    world, save = runs
    table = tmp_path / "cifar100.md"
    table.write_text("the existing table\n")
    env = {"SAVE_DIR": str(tmp_path / "sav"), "OUT": str(table), "GPUS": "1", "NUM_SAMPLING": "1", "STEPS": "3",
           "EXTRA_ARGS": "--device cpu --num_workers 0"}
    res = run_launcher("sh/evaluate.sh", str(CIFAR), env)
    assert res.returncode == 2, res.stdout[-2000:] + res.stderr[-2000:]
    assert f"error: --save_dir '{tmp_path / 'sav'}' (SAVE_DIR) is no folder" in res.stderr
    (tmp_path / "empty" / "student_kd").mkdir(parents=True)
    res = run_launcher("sh/evaluate.sh", str(CIFAR), dict(env, SAVE_DIR=str(tmp_path / "empty")))
    assert res.returncode == 2 and "no finished cifar100 run under --save_dir" in res.stderr, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    assert table.read_text() == "the existing table\n"


def report(path, **row):
    base = dict(setting="ImageNet", method="KD", teacher="resnet34", student="resnet18", logits=70.0, seed=7,
                checkpoint="save/student_kd/S-resnet18_T-resnet34_imagenet_trial_0/final.pth")
    path.write_text(json.dumps({"row": base | row}))
    return str(path)


def test_imagenet_table_keeps_trials_and_skips_unreadable_reports(tmp_path, capsys):
    table = tmp_path / "imagenet.md"
    good = [report(tmp_path / "a.json"),
            report(tmp_path / "b.json", logits=71.0,
                   checkpoint="save/student_kd/S-resnet18_T-resnet34_imagenet_trial_1/final.pth")]
    (tmp_path / "bad.json").write_text("{")
    assert results_table.main(["--table", str(table), *good, str(tmp_path / "bad.json"),
                               str(tmp_path / "missing.json")]) == 0
    err = capsys.readouterr().err
    assert "warning: skipped report" in err and "bad.json" in err and "missing.json" in err
    rows = results_table.read_rows(str(table))
    assert [(r["seed"], r["logits"]) for r in rows] == [("7", "70.00"), ("7", "71.00")]   # same seed, two trials
    before = table.read_bytes()
    assert results_table.main(["--table", str(table), str(tmp_path / "bad.json")]) == 2
    assert "error: none of the 1 report(s) could be read" in capsys.readouterr().err
    assert table.read_bytes() == before


def test_imagenet_lt_rows_name_an_evaluation_list_other_than_the_test_list():
    from argparse import Namespace

    from gendd_imagenet.evaluation import setting_of
    lt = dict(data_kind="lt", recipe="none")
    assert setting_of(Namespace(**lt, lt_val_list="data/ImageNet_LT/ImageNet_LT_test.txt")) == "ImageNet-LT"
    assert setting_of(Namespace(**lt, lt_val_list="data/ImageNet_LT/ImageNet_LT_val.txt")) == \
        "ImageNet-LT (evaluated on ImageNet_LT_val.txt)"
