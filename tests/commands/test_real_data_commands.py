"""The two real-data commands, shortened: `bash sh/evidence.sh` (what CI runs of the
evidence) and `bash sh/quickstart.sh`, on Fashion-MNIST from the Debian package files
(`.ci/run` installs dataset-fashion-mnist)."""
import json
import os
import pathlib
import re
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEBIAN_FMNIST = pathlib.Path("/usr/share/datasets/fashion-mnist")
needs_fmnist = pytest.mark.skipif(not DEBIAN_FMNIST.is_dir(),
                                  reason="Fashion-MNIST Debian package not installed "
                                         "(apt-get install dataset-fashion-mnist)")
TINY = {"TEACHER": "resnet8", "TEACHER_EPOCHS": "1", "STUDENT": "resnet8", "WIDTH": "16", "M": "2", "WORKERS": "0",
        "DEVICE": "cpu"}


def run(script: str, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    res = subprocess.run(["bash", script], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return res


def numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+", cell)]


@needs_fmnist
@pytest.mark.slow
def test_evidence_command_shortened(tmp_path):
    env = {**TINY, "EV_DIR": str(tmp_path / "ev"), "DATA_ROOT": str(tmp_path / "data"), "SEEDS": "0 1",
           "FULL_EPOCHS": "2", "FULL_IMAGES": "256", "LIMITED_IMAGES": "128", "LIMITED_EPOCHS": "2",
           "FAST_STEPS": "2", "REF_TEST_IMAGES": "40", "EXTRA_ARGS": "--test_subset 100", "OUT": str(tmp_path / "fm")}
    run("sh/evidence.sh", env)
    table = (tmp_path / "fm.md").read_text()
    assert (tmp_path / "fm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| method")}
    assert {"student alone", "KD", "DKD", "IKL-KD", "GenDD probe"} <= set(rows)
    assert any(name.startswith("GenDD sampled, paper's setting") for name in rows)
    assert any(name.startswith("GenDD sampled, fast preset") for name in rows)
    for name, cells in rows.items():
        assert len(numbers(cells[0])) == 2 and len(numbers(cells[3])) == 2, (name, cells)   # mean ± std, 2 seeds
        assert cells[-1].strip() == "2"
    kd_runs = sorted((tmp_path / "ev" / "student_kd").glob("*_trial_limited_s*"))
    accs = [json.loads((r / "summary.json").read_text())["last"]["top1"] for r in kd_runs]
    assert len(accs) == 2 and abs(numbers(rows["KD"][3])[0] - sum(accs) / 2) < 0.006
    assert "Teacher (resnet8, 256 training images, 1 epochs)" in table


@needs_fmnist
@pytest.mark.slow
def test_quickstart_command_shortened(tmp_path):
    env = {**TINY, "QS_DIR": str(tmp_path / "qs"), "DATA_ROOT": str(tmp_path / "data"), "TEACHER_IMAGES": "256",
           "STUDENT_IMAGES": "128", "EPOCHS": "2", "GENDD_STAGE1_EPOCHS": "1", "SAMPLING_STEPS": "2",
           "EXTRA_ARGS": "--test_subset 100", "RESULTS": str(tmp_path / "results")}
    res = run("sh/quickstart.sh", env)
    table = (tmp_path / "results" / "quickstart.md").read_text()
    assert (tmp_path / "results" / "quickstart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("teacher", "student alone", "student + KD", "student + GenDD (sampled)", "student + GenDD (probe)"):
        assert f"| {name} |" in table and f"| {name} |" in res.stdout
    epochs = {line.split("|")[1].strip(): line.split("|")[3].strip() for line in table.splitlines()[2:]}
    assert epochs["student alone"] == epochs["student + KD"] == epochs["student + GenDD (sampled)"] == "2"


@needs_fmnist
@pytest.mark.slow
def test_budget_curve_command_shortened(tmp_path):
    env = {**TINY, "BC_DIR": str(tmp_path / "bc"), "TEACHER_SAVE_DIR": str(tmp_path / "teacher"),
           "DATA_ROOT": str(tmp_path / "data"), "FULL_IMAGES": "256", "IMAGES": "128", "BUDGETS": "2", "SEEDS": "0 1",
           "FAST_STEPS": "2", "REF_TEST_IMAGES": "40", "EXTRA_ARGS": "--test_subset 100", "ABLATION_BUDGET": "2",
           "ABLATIONS": "smooth=0.5", "OUT": str(tmp_path / "bc_out")}
    run("sh/budget_curve.sh", env)
    table = (tmp_path / "bc_out.md").read_text()
    assert (tmp_path / "bc_out.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    heads = ("| method |", "| GenDD − KD", "| method | limited, 2 epochs: epochs", "| GenDD (matched")
    accuracy, gap, cost, ablation = (markdown_rows(table, head) for head in heads)
    bc = tmp_path / "bc"

    def top1(kind, trial, key="top1"):
        run_dir = bc / f"student_{kind}" / f"S-resnet8_T-resnet8_fashion_mnist_trial_{trial}"
        return json.loads((run_dir / "summary.json").read_text())["last"][key]

    kd = [top1("kd", f"limited_b2_s{s}") for s in (0, 1)]
    assert numbers(accuracy["KD"][0]) == pytest.approx([sum(kd) / 2, abs(kd[0] - kd[1]) / 2 ** 0.5], abs=0.006)
    assert accuracy["KD"][0].endswith("(2)")
    probe = [top1("gendd", f"limited_b2_paper_s{s}", "probe_top1") for s in (0, 1)]
    assert numbers(accuracy["GenDD paper, probe"][0])[0] == pytest.approx(sum(probe) / 2, abs=0.006)
    paired = (probe[0] - kd[0] + probe[1] - kd[1]) / 2
    assert numbers(gap["GenDD paper, probe"][0])[0] == pytest.approx(paired, abs=0.006)
    # matched: stage 1 + stage 2 = the budget; paper: stage 2 = the budget, stage 1 on top
    assert cost["GenDD matched"][0].startswith("2 / ") and cost["GenDD paper"][0].startswith("3 / ")
    configs = [yaml.safe_load((bc / "student_kd" / f"S-resnet8_T-resnet8_fashion_mnist_trial_limited_b2_s{s}"
                               / "config.yaml").read_text()) for s in (0, 1)]
    assert [c["seed"] for c in configs] == [0, 1]
    assert "smooth = 0.5 (seed 0)" in ablation and "as the curve (seed 0)" in ablation
    assert len(ablation["smooth = 0.5 (seed 0)"]) == 3      # probe, sampled at the fast preset, seconds
    assert re.search(r"- limited, GenDD (matched|paper), sampled at the paper's setting: (reaches|does not reach) KD",
                     table)


def markdown_rows(text: str, header_start: str) -> dict[str, list[str]]:
    """{first cell: other cells} of the Markdown table whose header line starts with ``header_start``."""
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith(header_start):
            return {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in lines[2:]}
    raise AssertionError(f"no table starting {header_start!r} in:\n{text}")


def summary(run_dir: pathlib.Path, key: str = "top1") -> float:
    return json.loads((run_dir / "summary.json").read_text())["last"][key]


@needs_fmnist
@pytest.mark.slow
def test_payoff_command_shortened(tmp_path):
    """`bash sh/payoff.sh`, shortened: the teacher-student gap, the paired gap, the traced run with
    one knob (every row equal to the run's own metrics log) and the GPU records' table."""
    env = {**TINY, "BC_DIR": str(tmp_path / "po"), "TEACHER_SAVE_DIR": str(tmp_path / "teacher"),
           "DATA_ROOT": str(tmp_path / "data"), "FULL_IMAGES": "256", "IMAGES": "100", "BUDGETS": "2",
           "SEEDS": "0 1", "BASELINES_LAST": "2", "FAST_STEPS": "2", "REF_TEST_IMAGES": "40",
           "EXTRA_ARGS": "--test_subset 100", "TRACE_BUDGET": "2", "TRACE_EVERY": "1", "KNOBS": "smooth=0.5",
           "OUT": str(tmp_path / "payoff")}
    run("sh/payoff.sh", env)
    table = (tmp_path / "payoff.md").read_text()
    for png in ("payoff.png", "payoff_trace.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    po = tmp_path / "po"
    accuracy = markdown_rows(table, "| method |")
    assert "DKD" not in accuracy and "IKL-KD" not in accuracy      # BASELINES_LAST: the student alone and KD only
    alone = [summary(po / "student_vanilla" / f"S-resnet8_T-none_fashion_mnist_trial_limited_b2_s{s}") for s in (0, 1)]
    teacher = summary(tmp_path / "teacher" / "models" / "resnet8_fashion_mnist_trial_teacher")
    assert f"what there is to distil): {teacher - sum(alone) / 2:.2f} points at 2 epochs" in table
    gendd = po / "student_gendd"
    kd = [summary(po / "student_kd" / f"S-resnet8_T-resnet8_fashion_mnist_trial_limited_b2_s{s}") for s in (0, 1)]
    probe = [summary(gendd / f"S-resnet8_T-resnet8_fashion_mnist_trial_limited_b2_paper_s{s}", "probe_top1")
             for s in (0, 1)]
    gap = markdown_rows(table, "| GenDD − KD")
    assert numbers(gap["GenDD paper, probe"][0])[0] == pytest.approx((probe[0] + probe[1] - sum(kd)) / 2, abs=0.006)
    trace = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith(("| as the table |",
                                                                                       "| smooth = 0.5 |"))]
    assert [row[0].strip() for row in trace] == ["as the table"] * 2 + ["smooth = 0.5"] * 2
    for label, trial in (("as the table", "limited_b2_paper_s0"), ("smooth = 0.5", "limited_b2_paper_smooth0.5_s0")):
        rows = [json.loads(line) for line in (gendd / f"S-resnet8_T-resnet8_fashion_mnist_trial_{trial}"
                                               / "metrics.jsonl").read_text().splitlines()]
        evals = [r for r in rows if "eval/sampled_top1" in r]
        loss = {r["train_epoch/epoch"]: r["train_epoch/diffusion"] for r in rows if "train_epoch/diffusion" in r}
        mine = [row for row in trace if row[0].strip() == label]
        for row, ev in zip(mine, evals, strict=True):
            assert [float(c) for c in row[2:4]] == pytest.approx([ev["eval/sampled_top1"], ev["eval/probe_top1"]],
                                                                 abs=0.006)
            assert float(row[5]) == pytest.approx(loss[ev["eval/epoch"]], abs=6e-5)
    records = ROOT / "results" / "records" / "h200_b100" / "bc" / "student_kd"
    gpu_kd = [summary(records / f"S-resnet8_T-resnet20_fashion_mnist_trial_limited_b100_s{s}") for s in (0, 1)]
    gpu = table.split("## GPU records", 1)[1]
    assert "NVIDIA H200" in gpu and "91.38 %" in gpu
    assert numbers(markdown_rows(gpu, "| method |")["KD"][0])[0] == pytest.approx(sum(gpu_kd) / 2, abs=0.006)
