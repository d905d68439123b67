"""The README's supervised ImageNet commands, run as written from GenDD_imagenet/ in smoke mode
(environment overrides only: tiny data, a random resnet34 teacher file, 1 epoch, 32 px, a
small diffusion head):

    cd GenDD_imagenet; bash sh/imagenet_train_res34res18_gendd.sh; bash sh/imagenet_eval_res34res18_gendd.sh
"""
import json

import pytest
import yaml

from helpers.imagenet_smoke import SMALL_HEAD, image_tree, run_launcher, teacher_file

pytestmark = pytest.mark.slow

VAL_COUNTS = [2, 1, 1, 1]  # 5 validation images


def test_readme_imagenet_train_then_eval(tmp_path):
    save, table = tmp_path / "save", tmp_path / "results" / "imagenet.md"
    env = dict(DATA_ROOT=image_tree(tmp_path / "imagenet", 4, 3, VAL_COUNTS),
               TEACHER=teacher_file(tmp_path / "resnet34.pth", "resnet34", 4), EPOCHS=1, IMAGE_SIZE=32,
               GENDD_ARGS=SMALL_HEAD, RESULTS_TABLE=table,
               EXTRA_ARGS=f"--device cpu --num_workers 0 --batch_size 4 --save_dir {save}")
    run_launcher("sh/imagenet_train_res34res18_gendd.sh", **env)
    (stage1,) = save.glob("gendd_pretrain/*")
    (stage2,) = save.glob("gendd/*")
    assert stage1.name == stage2.name == "S-resnet18_T-resnet34_imagenet_trial_0"
    assert (stage1 / "final.pth").is_file() and (stage2 / "final.pth").is_file()
    assert f"student starts from stage 1: {stage1 / 'final.pth'}" in (stage2 / "log.txt").read_text()
    config1 = yaml.safe_load((stage1 / "config.yaml").read_text())
    config2 = yaml.safe_load((stage2 / "config.yaml").read_text())
    assert (config1["learning_rate"], config1["weight_decay"], config1["crop_scale"]) == (2e-3, 2e-2, 0.08)
    assert {k: config2[k] for k in ("learning_rate", "weight_decay", "warmup_epochs", "smooth", "beta", "crop_scale",
                                    "beta2_min", "min_lr", "cos")} == dict(
        learning_rate=2e-3, weight_decay=2e-2, warmup_epochs=10, smooth=0.9, beta=1.0, crop_scale=0.6,
        beta2_min=0.96, min_lr=1e-6, cos=True)
    assert (config2["width"], config2["depth"], config2["epochs"], config2["image_size"]) == (32, 1, 1, 32)

    run_launcher("sh/imagenet_eval_res34res18_gendd.sh", **env)
    report = json.loads((stage2 / "eval_ancestral4_S5_cfg2.json").read_text())
    results = report["results"]
    assert results["count"] == sum(VAL_COUNTS)
    for name in ("sampled", "probe"):  # each a whole number of the 5 images
        assert results[f"{name}_top1"] * sum(VAL_COUNTS) / 100 == pytest.approx(round(results[f"{name}_top1"] / 20))
    assert report["row"]["sampling"] == "5x4" and report["row"]["epochs"] == 1 and report["row"]["seed"] == 0
    rows = [line for line in table.read_text().splitlines() if line.startswith("| ImageNet |")]
    assert rows == [f"| ImageNet | GenDD | resnet34 | resnet18 | {results['sampled_top1']:.2f} | "
                    f"{results['probe_top1']:.2f} | - | - | 5x4 | 1 | 0 | {stage2 / 'final.pth'} |"]
