"""ImageNet-tree launchers: every one is exercised, and each launcher's numbers are docs/method.md §4's.

Launchers are run by bash with a recording interpreter (tests/helpers/imagenet_smoke.py); the recorded
command lines then run in this process: with ``--dry_run`` (every piece built from the full
command line; torchvision/timm teachers as shapes only, no download) for launchers that differ
from an end-to-end tested one only in numbers, or for real in smoke mode (1 epoch, 32 px, tiny
data). The README commands run as real subprocesses in test_imagenet_readme*.py and the LT
launchers in test_imagenet_lt_launchers.py.
"""
import pathlib
import re

import pytest
import torch
import yaml

from gendd.cli.baselines import baseline_names
from gendd.distillers import names
from helpers.imagenet_smoke import TREE, cc3m_shards, image_tree, record_launcher, run_in_process, teacher_file
from helpers.parsers import imagenet_gendd_parser

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]

GLOBAL_512 = dict(batch_size=512, batch_per_process=512, world_size=1)  # the original's 8 GPUs x 64, here 1 process
RESNET_GENDD_STAGE2 = dict(learning_rate=2e-3, weight_decay=2e-2, epochs=100, smooth=0.9, beta=1.0,
                           diffusion_batch_mul=10, token_dim=64, cond_drop_prob=0.2, width=1024, depth=3,
                           beta2_min=0.96, cos=True, min_lr=1e-6, crop_scale=0.6, sampling_steps=64, num_sampling=1,
                           recipe="none", path_pretrain="auto", **GLOBAL_512)
STAGE1 = dict(learning_rate=2e-3, epochs=20, crop_scale=0.08, warmup_epochs=0, **GLOBAL_512)
BEIT_L, BEIT_B = "beitv2_large_patch16_224", "beitv2_base_patch16_224"
BEIT_STAGE2 = dict(RESNET_GENDD_STAGE2, beta=0.0, model_s="resnet50")
SGD_BASELINE = dict(learning_rate=0.2, weight_decay=1e-4, epochs=100, **GLOBAL_512, lr_decay_epochs="30,60,90",
                    lr_schedule="step", warmup_epochs=0, momentum=0.9)


def stage1(**flags):
    return "main_gendd_pretrain.py", "gendd_pretrain", dict(STAGE1, **flags)


def stage2(base=RESNET_GENDD_STAGE2, **flags):
    return "main_supervised_gendd.py", "gendd", dict(base, **flags)


def baseline(method, **flags):
    return "main_kd.py", method, dict(SGD_BASELINE, distill=method, kd_T=1.0, **flags)


R50_MV, R34_R18 = dict(arch_t="resnet50", model_s="MobileNetV1"), dict(arch_t="resnet34", model_s="resnet18")
TIMM_L, TIMM_B = f"timm:{BEIT_L}.in1k_ft_in22k_in1k", f"timm:{BEIT_B}.in1k_ft_in22k_in1k"
# launcher -> [(script, run folder kind, expected flags)], one entry per command it runs (docs/method.md §4)
DRY_RUNS = {
    "sh/imagenet_train_res50mv_gendd.sh": [
        stage1(**R50_MV, weight_decay=2e-2, path_t="torchvision"), stage2(**R50_MV, warmup_epochs=20)],
    "sh/imagenet_train_beitlr50_gendd_A1.sh": [
        stage1(arch_t=BEIT_L, model_s="resnet50", weight_decay=1e-2, recipe="A1", path_t=TIMM_L),
        stage2(BEIT_STAGE2, arch_t=BEIT_L, weight_decay=1e-2, epochs=600, recipe="A1", warmup_epochs=10)],
    "sh/imagenet_train_beitlr50_gendd_A2.sh": [
        stage1(arch_t=BEIT_L, model_s="resnet50", weight_decay=2e-2, recipe="A2", path_t=TIMM_L),
        stage2(BEIT_STAGE2, arch_t=BEIT_L, epochs=300, recipe="A2", warmup_epochs=10)],
    "sh/imagenet_train_beitr50_gendd_A2.sh": [
        stage1(arch_t=BEIT_B, model_s="resnet50", weight_decay=2e-2, recipe="A2", path_t=TIMM_B),
        stage2(BEIT_STAGE2, arch_t=BEIT_B, epochs=300, recipe="A2", warmup_epochs=10)],
    "sh/cc3m_train_res50mv_unsupervised_gendd.sh": [
        ("main_unsupervised_gendd.py", "unsupervised_gendd",
         dict(RESNET_GENDD_STAGE2, **R50_MV, smooth=0.0, warmup_epochs=10, iterations_per_epoch=5500,
              path_pretrain=""))],
    "sh/imagenet_train_res34res18_kd.sh": [baseline("kd", **R34_R18, ce_weight=0.5, kd_weight=0.5)],
    "sh/imagenet_train_res50mv_kd.sh": [baseline("kd", **R50_MV, ce_weight=0.5, kd_weight=0.5)],
    "sh/imagenet_train_res34res18_dkd.sh": [baseline("dkd", **R34_R18, dkd_alpha=1.0, dkd_beta=0.5, loss_warmup=1.0)],
    "sh/imagenet_train_res50mv_dkd.sh": [baseline("dkd", **R50_MV, dkd_alpha=1.0, dkd_beta=2.0, loss_warmup=1.0)],
    "sh/imagenet_train_res50mv_ikl.sh": [
        baseline("ikl", **R50_MV, ikl_alpha=4.0, ikl_beta=1.0, ikl_T2=1.0, ikl_gi=True, loss_warmup=1.0)],
}
SMOKE = "--device cpu --num_workers 0 --image_size 32"
# run end to end elsewhere: the README commands, the LT launchers
ELSEWHERE = {"sh/imagenet_train_res34res18_gendd.sh", "sh/imagenet_eval_res34res18_gendd.sh",
             "sh/cc3m_train_res34res18_unsupervised_gendd.sh", "sh/cc3m_eval_res34res18_unsupervised_gendd.sh",
             "sh_lt/lt_train_resnext101_teacher.sh", "sh_lt/lt_eval_resnext101_teacher.sh",
             "sh_lt/lt_train_resnext101res18_gendd.sh", "sh_lt/lt_eval_resnext101res18_gendd.sh",
             "sh_lt/lt_train_resnext101res50_gendd.sh", "sh_lt/lt_eval_resnext101res50_gendd.sh"}
END_TO_END_HERE = {"sh/imagenet_train_res34res18_ikl.sh", "sh/imagenet_eval_res34res18_ikl.sh",
                   "sh/cc3m_train_res50mv_unsupervised_kd.sh", "sh/cc3m_eval_res50mv_unsupervised_kd.sh"}
# tested by tests/commands/test_data_preparation.py
DATA_PREPARATION = {"sh/prepare_imagenet.sh", "sh/prepare_cc3m.sh", "sh/check_imagenet_lt.sh"}
EVAL_OF = {launcher: launcher.replace("_train_", "_eval_") for launcher in DRY_RUNS}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagenet_launchers")
    return {"tiny": image_tree(root / "tiny", 4, 3, [2, 1, 1, 1]),
            "in1k": image_tree(root / "in1k", 1000, 1, [1] * 1000, size=8),  # 1000 classes: the public teachers' heads
            "shards": cc3m_shards(root / "cc3m", 2, 3),
            "r34": teacher_file(root / "r34.pth", "resnet34", 4),
            "r50": teacher_file(root / "r50.pth", "resnet50", 4)}


def run_configs(save_dir: pathlib.Path) -> dict[str, dict]:
    """{run folder kind: its config.yaml} for every run under ``save_dir``."""
    return {p.parent.parent.name: yaml.safe_load(p.read_text()) for p in save_dir.glob("*/*/config.yaml")}


def test_every_launcher_is_exercised():
    launchers = {str(p.relative_to(TREE)) for folder in ("sh", "sh_lt") for p in (TREE / folder).glob("[a-z]*.sh")}
    covered = set(DRY_RUNS) | set(EVAL_OF.values()) | ELSEWHERE | END_TO_END_HERE | DATA_PREPARATION
    assert launchers == covered, f"not exercised: {sorted(launchers - covered)}; gone: {sorted(covered - launchers)}"
    for path in launchers:  # imagenet_<train|eval>_<pair>_<registered method>[_<recipe>].sh, train with its eval
        named = re.fullmatch(r"sh/imagenet_(train|eval)_([a-z0-9]+)_([a-z_]+?)(_A\d)?\.sh", path)
        if named:
            assert named[3] in names("gendd") + baseline_names(), path
            other = {"train": "eval", "eval": "train"}[named[1]]
            assert path.replace(f"_{named[1]}_", f"_{other}_", 1) in launchers, path


def test_gendd_eval_launchers_average_5_draws_and_restate_no_head(tmp_path):
    """docs/method.md §4's evaluation (5 draws); the head comes from the run (its config.yaml), so
    no eval launcher passes a head flag."""
    evals = sorted(str(p.relative_to(TREE)) for p in (TREE / "sh").glob("*_eval_*.sh"))
    gendd = [launcher for launcher in evals if "SCRIPT=main_kd.py" not in (TREE / launcher).read_text()
             and "SCRIPT=main_unsupervised_kd.py" not in (TREE / launcher).read_text()]
    assert len(gendd) == 7
    for launcher in evals:
        (command,) = record_launcher(launcher, tmp_path / "rec")
        assert not {"--width", "--depth", "--token_dim"} & set(command), launcher
        if launcher in gendd:
            assert command[command.index("--num_sampling") + 1] == "5", launcher


@pytest.mark.parametrize("launcher", sorted(DRY_RUNS))
def test_dry_run_builds_every_piece_with_the_spec_numbers(launcher, data, tmp_path, monkeypatch, capsys):
    save = tmp_path / "save"
    commands = record_launcher(launcher, tmp_path / "rec", DATA_ROOT=data["in1k"], CC3M_SHARDS=data["shards"],
                               EXTRA_ARGS=f"{SMOKE} --dry_run --save_dir {save}")
    expected = DRY_RUNS[launcher]
    assert [c[0] for c in commands] == [script for script, _, _ in expected]
    for command in commands:
        run_in_process(command, monkeypatch)
    configs = run_configs(save)
    assert sorted(configs) == sorted(kind for _, kind, _ in expected)
    for _, kind, flags in expected:
        got = {k: configs[kind][k] for k in flags}
        assert got == flags, f"{launcher} ({kind}) differs from docs/method.md §4"
        assert configs[kind]["image_size"] == 32 and configs[kind]["dry_run"]
    assert not list(save.glob("*/*/final.pth"))  # nothing was trained
    check_eval_launcher(EVAL_OF[launcher], commands[-1], save / expected[-1][1], data, tmp_path, monkeypatch, capsys)


def check_eval_launcher(launcher, train_command, run_root, data, tmp_path, monkeypatch, capsys):
    """The eval command runs the training script with --evaluate on the same pair (S = 5, K = 64,
    guidance 2.0 for GenDD) and looks for the final.pth of exactly the run the training made."""
    (command,) = record_launcher(launcher, tmp_path / "rec_eval", DATA_ROOT=data["in1k"],
                                 EXTRA_ARGS=f"{SMOKE} --save_dir {run_root.parent}")
    assert command[0] == train_command[0] and "--evaluate" in command
    for flag in ("--arch_t", "--model_s", "--distill", "--recipe"):   # what names the run
        assert (flag in command) == (flag in train_command), flag
        if flag in train_command:
            assert command[command.index(flag) + 1] == train_command[train_command.index(flag) + 1], flag
    if command[0] != "main_kd.py":   # the flag, else the script's default
        defaults = vars(imagenet_gendd_parser().parse_args([]))
        got = [command[command.index(f"--{f}") + 1] if f"--{f}" in command else str(defaults[f])
               for f in ("num_sampling", "sampling_steps", "cfg_scale")]
        assert got == ["5", "64", "2.0"]
    capsys.readouterr()
    run_in_process(command, monkeypatch, expect_code=2)  # nothing trained yet: a clear error, exit code 2
    (run,) = run_root.iterdir()
    assert f"nothing to evaluate at '{run / 'final.pth'}'" in capsys.readouterr().err


def test_imagenet_ikl_baseline_trains_and_its_eval_launcher_reports_it(data, tmp_path, monkeypatch):
    save, table = tmp_path / "save", tmp_path / "results.md"
    env = dict(DATA_ROOT=data["tiny"], TEACHER=data["r34"], EPOCHS=2, RESULTS_TABLE=table,
               EXTRA_ARGS=f"{SMOKE} --batch_size 4 --learning_rate 0.01 --save_dir {save}")
    for launcher in ("sh/imagenet_train_res34res18_ikl.sh", "sh/imagenet_eval_res34res18_ikl.sh"):
        for command in record_launcher(launcher, tmp_path / "rec", **env):
            run_in_process(command, monkeypatch)
    (run,) = save.glob("ikl/*")
    final = torch.load(run / "final.pth", weights_only=False)
    # GI on: after 2 epochs the class prior is the per-class mean teacher softmax (rows sum to 1), not uniform
    prior = final["model"]["class_prior"]
    assert prior.shape == (4, 4) and torch.allclose(prior.sum(1), torch.ones(4))
    assert not torch.allclose(prior, torch.full_like(prior, 0.25))
    config = yaml.safe_load((run / "config.yaml").read_text())  # docs/method.md §4 but the smoke lr and epochs
    assert {k: config[k] for k in ("ikl_alpha", "ikl_beta", "ikl_T2", "ikl_gi", "kd_T", "weight_decay",
                                   "lr_decay_epochs", "batch_size")} == dict(
        ikl_alpha=1.0, ikl_beta=0.5, ikl_T2=1.0, ikl_gi=True, kd_T=1.0, weight_decay=1e-4, lr_decay_epochs="30,60,90",
        batch_size=4)
    report = yaml.safe_load((run / "eval.json").read_text())
    assert report["results"]["count"] == 5 and report["row"]["epochs"] == 2
    row = [line for line in table.read_text().splitlines() if "| IKL-KD |" in line]
    assert len(row) == 1 and f"| {report['results']['top1']:.2f} |" in row[0] and "| resnet34 | resnet18 |" in row[0]


def test_unsupervised_kd_keeps_the_student_fc_frozen_unless_asked(data, tmp_path, monkeypatch):
    save, table = tmp_path / "save", tmp_path / "results.md"
    env = dict(DATA_ROOT=data["tiny"], TEACHER=data["r50"], CC3M_SHARDS=data["shards"], EPOCHS=1, RESULTS_TABLE=table,
               EXTRA_ARGS=f"{SMOKE} --batch_size 2 --iterations_per_epoch 2 --save_every_steps 1 --keep_last 3 "
                          f"--learning_rate 0.01 --save_dir {save}")
    for launcher in ("sh/cc3m_train_res50mv_unsupervised_kd.sh", "sh/cc3m_eval_res50mv_unsupervised_kd.sh"):
        for command in record_launcher(launcher, tmp_path / "rec", **env):
            run_in_process(command, monkeypatch)
    (run,) = save.glob("unsupervised_kd/*")
    config = yaml.safe_load((run / "config.yaml").read_text())  # docs/method.md §4 but the smoke lr, epochs, iterations
    assert {k: config[k] for k in ("kd_T", "lr_schedule", "warmup_epochs", "weight_decay", "train_fc")} == dict(
        kd_T=1.0, lr_schedule="cosine", warmup_epochs=10, weight_decay=1e-4, train_fc=False)
    steps = [torch.load(p, weights_only=False) for p in sorted((run / "checkpoints").glob("step_*.pth"))]
    assert [s["global_step"] for s in steps] == [1, 2]  # exactly the configured iterations per epoch
    first, last = steps[0]["model"], steps[-1]["model"]
    assert torch.equal(first["student.fc.weight"], last["student.fc.weight"])
    assert not torch.equal(first["student.model.0.0.weight"], last["student.model.0.0.weight"])
    report = yaml.safe_load((run / "eval.json").read_text())
    assert report["row"]["method"] == "KD (unsupervised)" and report["results"]["count"] == 5
    for command in record_launcher("sh/cc3m_train_res50mv_unsupervised_kd.sh", tmp_path / "rec2",
                                   **dict(env, EXTRA_ARGS=env["EXTRA_ARGS"] + " --train_fc")):
        run_in_process(command, monkeypatch)
    (trained,) = save.glob("unsupervised_kd_fc/*")
    steps = [torch.load(p, weights_only=False)["model"] for p in sorted((trained / "checkpoints").glob("step_*.pth"))]
    assert not torch.equal(steps[0]["student.fc.weight"], steps[-1]["student.fc.weight"])
