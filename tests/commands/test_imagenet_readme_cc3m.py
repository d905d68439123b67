"""The README's CC3M commands, run as written from GenDD_imagenet/ in smoke mode, training under
torchrun with 2 processes on CPU (GPUS=2):

    cd GenDD_imagenet; bash sh/cc3m_train_res34res18_unsupervised_gendd.sh
    bash sh/cc3m_eval_res34res18_unsupervised_gendd.sh

(That every CC3M sample of an epoch goes to exactly one rank is tested in test_imagenet_data.py.)
"""
import json

import pytest
import torch

from helpers.imagenet_smoke import SMALL_HEAD, cc3m_shards, image_tree, run_launcher, teacher_file

pytestmark = pytest.mark.slow

VAL_COUNTS = [2, 1, 1, 1]  # 5 validation images: an odd count over 2 ranks


def test_readme_cc3m_train_under_torchrun_then_eval(tmp_path):
    save, table = tmp_path / "save", tmp_path / "imagenet.md"
    env = dict(DATA_ROOT=image_tree(tmp_path / "imagenet", 4, 1, VAL_COUNTS),
               CC3M_SHARDS=cc3m_shards(tmp_path / "cc3m", 4, 3),
               TEACHER=teacher_file(tmp_path / "resnet34.pth", "resnet34", 4), EPOCHS=1, IMAGE_SIZE=32,
               GENDD_ARGS=SMALL_HEAD, RESULTS_TABLE=table, MASTER_PORT=29517,
               EXTRA_ARGS=f"--device cpu --num_workers 0 --batch_size 4 --iterations_per_epoch 3 "
                          f"--save_every_steps 1 --keep_last 3 --save_dir {save}")
    out = run_launcher("sh/cc3m_train_res34res18_unsupervised_gendd.sh", GPUS=2, **env).stdout
    assert "torchrun: 1 node(s) x 2 process(es)" in out
    (run,) = save.glob("unsupervised_gendd/*")
    assert "(2 process(es) on cpu)" in (run / "log.txt").read_text()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval/count" in r]
    assert len(evals) == 1 and evals[0]["eval/count"] == sum(VAL_COUNTS)  # every image once across the 2 ranks
    assert set(evals[0]) >= {"eval/sampled_top1"} and not any(k.startswith("eval/probe") for k in evals[0])
    assert json.loads((run / "summary.json").read_text())["global_step"] == 3  # exactly --iterations_per_epoch
    steps = [torch.load(p, weights_only=False)["model"] for p in sorted((run / "checkpoints").glob("step_*.pth"))]
    assert len(steps) == 3
    assert torch.equal(steps[0]["student.fc.weight"], steps[-1]["student.fc.weight"])  # no labels: fc frozen
    assert not torch.equal(steps[0]["student.conv1.weight"], steps[-1]["student.conv1.weight"])
    assert not torch.equal(steps[0]["head.input_proj.weight"], steps[-1]["head.input_proj.weight"])

    run_launcher("sh/cc3m_eval_res34res18_unsupervised_gendd.sh", **env)
    report = json.loads((run / "eval_ancestral4_S5_cfg2.json").read_text())
    assert report["results"]["count"] == sum(VAL_COUNTS) and set(report["results"]) == {
        "count", "sampled_top1", "sampled_top5"}
    (row,) = [line for line in table.read_text().splitlines() if line.startswith("| CC3M")]
    assert row.startswith(f"| CC3M (unsupervised) | GenDD | resnet34 | resnet18 | "
                          f"{report['results']['sampled_top1']:.2f} | - | - | - | 5x4 | 1 | 0 |")
