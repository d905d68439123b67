"""bench/run.py end to end at toy sizes on CPU: one record per measurement with device and setting,
the Markdown table, and the reference and fast fp32 loss curves equal (same weights, data and draws)."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))


@pytest.mark.slow
def test_benchmark_writes_records_table_and_matching_curves(tmp_path):
    import run
    run.main(["--device", "cpu", "--pairs", "resnet32x4->resnet8x4", "--batch", "2", "--width", "32",
              "--eval_batch", "1", "--warmup", "1", "--repeats", "1", "--curve_steps", "3", "--skip_loader",
              "--out", str(tmp_path / "r.json"), "--table", str(tmp_path / "r.md")])
    data = json.loads((tmp_path / "r.json").read_text())
    records = data["records"]
    train = {(r["method"], r["mode"]) for r in records if r["kind"] == "train"}
    assert train == {(m, mode) for m in ("gendd", "kd") for mode in ("reference", "fast fp32")}
    evals = [r for r in records if r["kind"] == "eval"]
    assert len(evals) == len(run.EVAL_SETTINGS) + 1  # every setting fast, the paper's setting also in --reference_mode
    for r in records:
        assert r["device"].startswith("cpu")
        if r["kind"] != "loss_curve":
            assert r["images_per_s"] > 0 and r["seconds_per_call"] > 0 and "setting" in r
    curves = {r["mode"]: r["losses"] for r in records if r["kind"] == "loss_curve"}
    assert len(curves["reference"]) == 3
    assert curves["fast fp32"] == pytest.approx(curves["reference"], rel=1e-5)
    table = (tmp_path / "r.md").read_text()
    assert "| resnet32x4->resnet8x4 | gendd | fast fp32 |" in table and "probe (no sampling)" in table
