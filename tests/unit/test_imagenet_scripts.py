"""Pieces of the ImageNet-tree scripts: the results table, recipe (Mixup/CutMix) labels reaching
GenDD's probe, label-free GenDD, shapes-only teachers for dry runs, and evaluating checkpoints
of the original implementation (and refusing ones that do not fit the data)."""
import argparse
import json

import pytest
import torch
import torch.nn.functional as F

from gendd.cli import UserError, split_batch, trial_seed
from gendd.cli.gendd import build_gendd
from gendd.cli.teacher import Teacher
from gendd.distillers import get as get_method
from gendd.distillers.gendd import GenDD
from gendd.engine import DistEnv
from gendd.reference import load_reference_checkpoint
from gendd.state_dicts import StateDictMismatch
from gendd_imagenet import results_table
from gendd_imagenet.batches import MixedSource
from gendd_imagenet.data_args import base_parser, build_data
from gendd_imagenet.gendd_script import add_imagenet_gendd_args
from gendd.distillers.label_free import LabelFreeGenDD
from gendd_imagenet.data import eval_transform, image_folder
from gendd_imagenet.models import build_model
from gendd_imagenet.teacher_args import shapes_only_teacher

from helpers.reference_keys import REFERENCE_KEYS, read_key_layout, synthesize_state_dict
from helpers.imagenet_smoke import image_tree, record_launcher, run_in_process

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# ---------------------------------------------------------------- results table


def row(**kw):
    base = dict(setting="ImageNet", method="GenDD", teacher="resnet34", student="resnet18", sampled=72.384,
                probe=72.4, logits=None, sampling="5x64", epochs=100, seed=0, checkpoint="save/gendd/run/final.pth")
    return base | kw


def test_results_table_adds_rows_refreshes_the_same_run_and_sorts(tmp_path):
    table = str(tmp_path / "results" / "imagenet.md")
    results_table.upsert(table, row())
    results_table.upsert(table, row(setting="CC3M (unsupervised)", probe=None, sampled=66.9))
    results_table.upsert(table, row(seed=1, sampled=72.1))
    results_table.upsert(table, row(sampled=72.5, epochs=101))  # the seed-0 run again: refreshed, not added
    rows = results_table.read_rows(table)
    assert [(r["setting"], r["seed"], r["sampled"], r["epochs"]) for r in rows] == [
        ("CC3M (unsupervised)", "0", "66.90", "100"), ("ImageNet", "0", "72.50", "101"),
        ("ImageNet", "1", "72.10", "100")]
    assert rows[0]["probe"] == "-" and rows[1]["logits"] == "-" and rows[1]["probe"] == "72.40"
    text = (tmp_path / "results" / "imagenet.md").read_text()
    assert "| setting | method | teacher | student | sampled | probe | logits | many / medium / few |" in text


def test_results_table_rebuilds_from_reports_and_refuses_foreign_tables(tmp_path, capsys):
    reports = []
    for seed in (0, 1):
        reports.append(tmp_path / f"eval_{seed}.json")
        reports[-1].write_text(json.dumps({"row": row(seed=seed, method="KD", sampled=None, logits=71.2 + seed)}))
    results_table.main(["--table", str(tmp_path / "t.md"), *map(str, reports)])
    assert "t.md: 2 rows" in capsys.readouterr().out
    assert [r["logits"] for r in results_table.read_rows(str(tmp_path / "t.md"))] == ["71.20", "72.20"]
    (tmp_path / "other.md").write_text("| a | b |\n|---|---|\n| 1 | 2 |\n")
    with pytest.raises(ValueError, match="not a results table"):
        results_table.upsert(str(tmp_path / "other.md"), row())

# ---------------------------------------------------------------- recipes and GenDD


def parse(kind, *argv):
    p = base_parser("test", kind)
    p.add_argument("--arch_t", default="resnet34")
    add_imagenet_gendd_args(p)
    args = p.parse_args(["--device", "cpu", "--num_workers", "0", "--image_size", "32", *argv])
    split_batch(args, DistEnv())  # what start_process does: --batch_size is the global batch, the trial seeds
    args.seed = trial_seed(args.trial)
    return args


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return image_tree(tmp_path_factory.mktemp("recipe"), 4, 2, [1, 1, 1, 1])


def test_a1_recipe_gives_mixed_smoothed_targets_that_the_probe_learns(tree):
    args = parse("imagenet", "--data", tree, "--recipe", "A1", "--batch_size", "4", "--width", "32", "--depth", "1",
                 "--diffusion_batch_mul", "1", "--beta", "0")
    data = build_data(args, DistEnv())
    assert isinstance(data.source, MixedSource) and data.source.steps_per_epoch == 2  # 8 images, even batches
    images, labels = next(data.source.batches(1))
    eps, classes = 0.1, 4  # A1: label smoothing 0.1
    assert labels.shape == (4, classes) and torch.allclose(labels.sum(1), torch.ones(4))
    assert labels.min() >= eps / classes - 1e-6 and labels.max() <= 1 - eps + eps / classes + 1e-6
    torch.manual_seed(0)
    distiller = build_gendd(args, build_model("resnet18", classes), build_model("resnet34", classes).eval())
    losses = distiller(images, labels)
    probe_logits = distiller.student.fc(distiller.student.forward_features(images))
    expected = -(labels * F.log_softmax(probe_logits, dim=1)).sum(1).mean()  # CE against the mixed target
    assert losses["probe_ce"].item() == pytest.approx(expected.item(), rel=1e-4)
    assert torch.isfinite(losses["diffusion"])


def test_recipe_errors_are_explained(tree):
    with pytest.raises(UserError, match="an even batch"):
        build_data(parse("imagenet", "--data", tree, "--recipe", "A2", "--batch_size", "3"), DistEnv())
    with pytest.raises(UserError, match="CC3M training has none"):
        build_data(parse("cc3m", "--data", tree, "--recipe", "A2"), DistEnv())


def test_label_free_gendd_freezes_the_fc_and_reports_the_sampled_path_only():
    args = argparse.Namespace(smooth=0.0, token_dim=64, diffusion_batch_mul=1, cond_drop_prob=0.2, beta=1.0,
                              width=16, depth=1, num_sampling=1, sampling_steps=2, cfg_scale=2.0, sampler="ancestral",
                              temperature=1.0, eta=0.0)
    student = build_model("resnet18", 3)
    distiller = build_gendd(args, student, None, (3, 128), method="gendd_label_free")
    assert isinstance(distiller, LabelFreeGenDD) and get_method("gendd_label_free").defaults()["smooth"] == 0.0
    assert not student.fc.weight.requires_grad and not student.fc.bias.requires_grad
    trainable = {n for n, p in distiller.named_parameters() if p.requires_grad}
    assert "student.conv1.weight" in trainable and not any(n.startswith("student.fc.") for n in trainable)
    assert set(distiller.eval()(torch.randn(2, 3, 32, 32))) == {"sampled"}
    with pytest.raises(ValueError, match="got labels"):
        distiller.train()(torch.randn(2, 3, 32, 32), torch.tensor([0, 1]))
    with pytest.raises(UserError, match="use --smooth 0"):
        build_gendd(argparse.Namespace(**{**vars(args), "smooth": 0.9}), student, None, (3, 128),
                    method="gendd_label_free")
    with pytest.raises(UserError, match="--num_sampling >= 1"):
        build_gendd(argparse.Namespace(**{**vars(args), "num_sampling": 0}), student, None, (3, 128),
                    method="gendd_label_free")

# ---------------------------------------------------------------- dry-run teachers


def test_shapes_only_teachers_make_the_checks_of_a_real_load_without_weights():
    beit = shapes_only_teacher("timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k", "beitv2_large_patch16_224", 1000)
    assert beit.fc.weight.is_meta and tuple(beit.fc.weight.shape) == (1000, 1024)
    shapes_only = Teacher(beit, "beitv2_large_patch16_224", "timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k")
    assert shapes_only.shapes_only and shapes_only.gendd_kwargs() == {"teacher": None, "teacher_fc": (1000, 1024)}
    assert shapes_only_teacher("torchvision", "resnet50", 1000).forward_features  # the zoo model
    with pytest.raises(UserError, match="weights have 1000 classes but the data has 4"):
        shapes_only_teacher("torchvision", "resnet34", 4)
    with pytest.raises(UserError, match="does not provide 'beitv2_base_patch16_224'"):
        shapes_only_teacher("timm:beitv2_large_patch16_224", "beitv2_base_patch16_224", 1000)
    with pytest.raises(UserError, match="does not provide 'MobileNetV1'"):
        shapes_only_teacher("torchvision", "MobileNetV1", 1000)
    real = build_model("resnet18", 4)
    assert Teacher(real, "resnet18", "torchvision").gendd_kwargs() == {"teacher": real}

# ---------------------------------------------------------------- reference checkpoints


def reference_checkpoint(path, num_classes: int) -> dict:
    """A file in the original implementation's ImageNet R34->R18 stage-2 layout ({"state_dict", "optimizer", "epoch"},
    DDP "module." keys), random weights, with the test data's class count in place of 1000."""
    layout = read_key_layout(REFERENCE_KEYS / "gendd_checkpoints" / "imagenet_resnet34_resnet18_stage2.txt")
    layout = {k: (tuple(num_classes if d == 1000 else d for d in shape), dtype) for k, (shape, dtype) in layout.items()}
    sd = synthesize_state_dict(layout)
    for key in sd:
        if key.endswith("running_var"):
            sd[key] = sd[key].abs() + 0.5  # a valid variance
    sd["module.chunk_idx"] = torch.arange(8)[None]
    torch.save({"state_dict": sd, "optimizer": {}, "epoch": 1}, path)
    return sd


@pytest.mark.slow
def test_eval_launcher_evaluates_a_reference_checkpoint_given_as_ckpt(tree, tmp_path, monkeypatch):
    """CKPT=<reference file> bash sh/imagenet_eval_res34res18_gendd.sh: the student of the file
    gives the probe accuracy a plain resnet18 with those weights gives; sampling runs with its head."""
    ckpt, table = tmp_path / "checkpoint.pth.tar", tmp_path / "imagenet.md"
    sd = reference_checkpoint(ckpt, 4)
    (command,) = record_launcher("sh/imagenet_eval_res34res18_gendd.sh", tmp_path / "rec", DATA_ROOT=tree,
                                 CKPT=ckpt, RESULTS_TABLE=table, GENDD_ARGS="--sampling_steps 4",
                                 EXTRA_ARGS="--device cpu --num_workers 0 --image_size 32")
    run_in_process(command, monkeypatch)
    report = json.loads((tmp_path / "eval_ancestral4_S5_cfg2.json").read_text())
    student = build_model("resnet18", 4)
    student.load_state_dict({k[len("module.model."):]: v for k, v in sd.items() if k.startswith("module.model.")})
    val = image_folder(tree, "val", eval_transform(32))
    images = torch.stack([image for image, _ in val])
    hits = (student.eval()(images).argmax(1) == torch.tensor(val.targets)).double().mean().item()
    assert report["results"]["count"] == len(val) == 4
    assert report["results"]["probe_top1"] == pytest.approx(100 * hits)
    assert "sampled_top1" in report["results"] and report["row"]["epochs"] == 1 and report["row"]["seed"] is None
    (line,) = [r for r in table.read_text().splitlines() if r.startswith("| ImageNet |")]
    assert line.endswith(f"| 5x4 | 1 | - | {ckpt} |")


def test_checkpoint_of_another_class_count_is_refused_clearly(tree, tmp_path, monkeypatch, capsys):
    ckpt = tmp_path / "checkpoint.pth.tar"
    reference_checkpoint(ckpt, 1000)
    (command,) = record_launcher("sh/imagenet_eval_res34res18_gendd.sh", tmp_path / "rec", DATA_ROOT=tree, CKPT=ckpt,
                                 EXTRA_ARGS="--device cpu --num_workers 0 --image_size 32")
    run_in_process(command, monkeypatch, expect_code=2)
    assert "classifies 1000 classes but the evaluation data has 4" in capsys.readouterr().err


def test_reference_mobilenet_checkpoint_maps_onto_gendd_and_token_counts_are_checked():
    layout = read_key_layout(REFERENCE_KEYS / "gendd_checkpoints" / "imagenet_resnet50_MobileNetV1_stage2.txt")
    sd = synthesize_state_dict(layout)
    sd["module.chunk_idx"] = torch.arange(32)[None]   # the original implementation stores arange(N)
    distiller = GenDD(build_model("MobileNetV1", 1000), teacher_fc=(1000, 2048))
    load_reference_checkpoint(distiller, {"state_dict": sd, "optimizer": {}, "epoch": 3})
    assert torch.equal(distiller.student.model[0][0].weight, sd["module.model.model.0.0.weight"])
    assert torch.equal(distiller.head.pos_embed.weight, sd["module.diffloss.net.pos_embed.weight"])
    assert torch.equal(distiller.projector.weight, sd["module.cls_projector.0.weight"])
    assert torch.equal(distiller.teacher_fc.bias, sd["module.classifier.bias"])
    coarse = GenDD(build_model("MobileNetV1", 1000), teacher_fc=(1000, 2048), token_dim=128, width=8, depth=1)
    with pytest.raises(StateDictMismatch, match="into 32 tokens, this GenDD into 16"):
        load_reference_checkpoint(coarse, {"state_dict": sd})
