"""Reference GenDD checkpoints (every layout in reference_keys/gendd_checkpoints) load into this
project's distillers with the right students; unplaceable or missing keys are named."""
import pytest
import torch
from helpers.reference_keys import REFERENCE_KEYS, read_key_layout, synthesize_state_dict

from gendd.distillers.gendd import GenDD
from gendd.distillers.gendd_pretrain import GenDDPretrain, student_state_from_pretrain
from gendd.reference import load_reference_checkpoint, reference_head_config
from gendd.state_dicts import StateDictMismatch
from gendd_cifar.models import build_model as build_cifar
from gendd_imagenet.models import build_model as build_imagenet

FILES = sorted((REFERENCE_KEYS / "gendd_checkpoints").glob("*.txt"))


def student_for(name):
    arch = name.split("_")[-2]  # <tree>_<teacher>_<student>_<stage>
    if name.startswith("cifar"):
        return build_cifar(arch, num_classes=100)
    return build_imagenet(arch, num_classes=1000)


def reference_file(path, tmp_path):
    """A synthesized checkpoint in the layout of ``path``, saved as the original implementation wraps it."""
    layout = read_key_layout(path)
    sd = synthesize_state_dict(layout)
    for key in sd:
        if key.endswith("chunk_idx"):
            sd[key] = torch.arange(sd[key].shape[-1])[None]  # what the original implementation stores
    wrapped = {"model": sd} if path.stem.startswith("cifar") else {"state_dict": sd, "optimizer": {}, "epoch": 7}
    file = tmp_path / "checkpoint.pth"
    torch.save(wrapped, file)
    return sd, file


def distiller_for(path, sd):
    prefix = "module." if path.stem.startswith("imagenet") else ""
    teacher_fc = tuple(sd[prefix + "classifier.weight"].shape)
    student = student_for(path.stem)
    if path.stem.endswith("stage1"):
        return GenDDPretrain(student, teacher_fc=teacher_fc), prefix
    return GenDD(student, teacher_fc=teacher_fc, width=1024, depth=3), prefix


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_reference_layout_loads(path, tmp_path):
    sd, file = reference_file(path, tmp_path)
    distiller, prefix = distiller_for(path, sd)
    load_reference_checkpoint(distiller, file)
    placed = {"model.": distiller.student, "classifier.": distiller.teacher_fc}
    if isinstance(distiller, GenDD):
        placed.update({"diffloss.net.": distiller.head, "cls_projector.0.": distiller.projector})
        assert torch.equal(distiller.cls_centers, sd[prefix + "cls_centers"])
        assert distiller.cls_centers.data_ptr() != distiller.teacher_fc.weight.data_ptr()
    for ref_prefix, module in placed.items():
        own = module.state_dict()
        for key, value in own.items():
            assert torch.equal(value, sd[prefix + ref_prefix + key]), ref_prefix + key
    count = sum(len(m.state_dict()) for m in placed.values()) + (2 if isinstance(distiller, GenDD) else 0)
    assert count == len(sd)  # every key of the file was placed (cls_centers and chunk_idx included)


def test_stage1_reference_student_feeds_stage2(tmp_path):
    path = REFERENCE_KEYS / "gendd_checkpoints" / "cifar_resnet32x4_resnet8x4_stage1.txt"
    sd, file = reference_file(path, tmp_path)
    student = build_cifar("resnet8x4", num_classes=100)
    student.load_state_dict(student_state_from_pretrain(file))
    assert torch.equal(student.fc.weight, sd["model.fc.weight"])


def test_head_config_is_read_from_the_file(tmp_path):
    path = REFERENCE_KEYS / "gendd_checkpoints" / "imagenet_resnet50_MobileNetV1_stage2.txt"
    _, file = reference_file(path, tmp_path)
    assert reference_head_config(file) == {"width": 1024, "depth": 3, "cond_dim": 1024, "num_tokens": 32,
                                           "token_dim": 64, "teacher_fc": (1000, 2048)}


@pytest.fixture(scope="module")
def cifar_stage2():
    path = REFERENCE_KEYS / "gendd_checkpoints" / "cifar_resnet110_resnet32_stage2.txt"
    layout = read_key_layout(path)
    sd = synthesize_state_dict(layout)
    sd["chunk_idx"] = torch.arange(1)[None]
    return sd


@pytest.fixture(scope="module")
def resnet32_gendd():
    """Shared by the error tests: every check fails before any weight is written."""
    return GenDD(build_cifar("resnet32", num_classes=100), teacher_fc=(100, 64), width=1024, depth=3)


def test_unplaceable_key_is_named(cifar_stage2, resnet32_gendd):
    sd = dict(cifar_stage2, **{"ema.diffloss.net.shadow": torch.zeros(1), "model.extra_bn.weight": torch.zeros(3)})
    with pytest.raises(StateDictMismatch) as err:
        load_reference_checkpoint(resnet32_gendd, {"model": sd})
    assert "ema.diffloss.net.shadow" in str(err.value)
    sd = dict(cifar_stage2, **{"model.extra_bn.weight": torch.zeros(3)})
    with pytest.raises(StateDictMismatch, match=r"unexpected keys \(1\): model\.extra_bn\.weight"):
        load_reference_checkpoint(resnet32_gendd, {"model": sd})


def test_missing_keys_are_named(cifar_stage2, resnet32_gendd):
    sd = {k: v for k, v in cifar_stage2.items()
          if k not in ("diffloss.net.res_blocks.2.mlp.0.bias", "cls_centers")}
    with pytest.raises(StateDictMismatch) as err:
        load_reference_checkpoint(resnet32_gendd, {"model": sd})
    message = str(err.value)
    assert "missing keys (2)" in message
    assert "diffloss.net.res_blocks.2.mlp.0.bias" in message and "cls_centers" in message


def test_wrong_head_width_is_a_shape_mismatch(cifar_stage2):
    narrow = GenDD(build_cifar("resnet32", num_classes=100), teacher_fc=(100, 64), width=512, depth=3)
    with pytest.raises(StateDictMismatch, match="shape mismatches"):
        load_reference_checkpoint(narrow, {"model": cifar_stage2})


def test_token_indices_are_checked(cifar_stage2, resnet32_gendd):
    with pytest.raises(StateDictMismatch, match="not the token indices"):
        load_reference_checkpoint(resnet32_gendd, {"model": dict(cifar_stage2, chunk_idx=torch.tensor([[3]]))})
    without = {k: v for k, v in cifar_stage2.items() if k != "chunk_idx"}
    with pytest.raises(StateDictMismatch, match="no 'chunk_idx'"):
        load_reference_checkpoint(resnet32_gendd, {"model": without})
