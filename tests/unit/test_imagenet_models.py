"""ImageNet model zoo and teacher loading: layouts, the feature contract, file formats, errors."""
import urllib.error

import pytest
import timm
import torch
import torchvision
from torch import nn

from helpers.reference_keys import REFERENCE_KEYS, read_key_layout
from gendd.state_dicts import StateDictMismatch
from gendd_imagenet.models import build_model, feature_dim, model_names
from gendd_imagenet.teachers import load_teacher
from helpers.lanes import slow_cases

CNNS = ["resnet18", "resnet34", "resnet50", "resnext101_32x4d", "MobileNetV1"]
TINY_BEIT = dict(embed_dim=32, depth=2, num_heads=2, img_size=32)


def test_mobilenetv1_state_dict_is_the_reference_layout():
    layout = read_key_layout(REFERENCE_KEYS / "imagenet" / "MobileNetV1.txt")
    sd = build_model("MobileNetV1").state_dict()
    ours = {k: (tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in sd.items()}
    assert list(ours) == list(layout)
    assert ours == layout


@pytest.fixture(scope="module")
def resnext():
    return build_model("resnext101_32x4d", num_classes=7).eval()


@pytest.mark.parametrize("name", CNNS)
def test_features_have_the_zoo_dimension_and_forward_is_fc_of_features(name, resnext):
    model = resnext if name == "resnext101_32x4d" else build_model(name, num_classes=7).eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        h = model.forward_features(x)
        logits = model(x)
    assert h.shape == (2, feature_dim(name))
    assert isinstance(model.fc, nn.Linear) and model.fc.out_features == 7 and model.fc.in_features == h.shape[1]
    torch.testing.assert_close(logits, model.fc(h))


def test_feature_dims_of_the_full_size_beit_teachers():
    expected = {"beitv2_large_patch16_224": 1024, "beitv2_base_patch16_224": 768}
    for name, dim in expected.items():
        with torch.device("meta"):
            model = build_model(name)
        assert feature_dim(name) == dim == model.fc.in_features
    assert set(expected) | set(CNNS) == set(model_names())


@pytest.mark.parametrize("name", slow_cases(["resnet18", "resnet34", "resnet50"], {"resnet50"}))
def test_resnets_are_interchangeable_with_torchvision(name):
    ours, theirs = build_model(name).eval(), getattr(torchvision.models, name)().eval()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
    theirs.load_state_dict(ours.state_dict(), strict=True)


def test_resnext101_32x4d_has_44_2_million_parameters(resnext):
    fc_1000 = 2048 * 1000 + 1000
    count = sum(p.numel() for name, p in resnext.named_parameters() if not name.startswith("fc.")) + fc_1000
    assert abs(count / 1e6 - 44.18) < 0.01


def test_tiny_beit_features_are_timms_pre_logits_and_fc_gives_timms_logits():
    ours = build_model("beitv2_base_patch16_224", num_classes=10, **TINY_BEIT).eval()
    ref = timm.create_model("beitv2_base_patch16_224", num_classes=10, **TINY_BEIT).eval()
    ref.load_state_dict(ours.state_dict(), strict=True)  # keys are timm's
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        h = ours.forward_features(x)
        torch.testing.assert_close(h, ref.forward_head(ref.forward_features(x), pre_logits=True))
        torch.testing.assert_close(ours.fc(h), ref(x))
        torch.testing.assert_close(ours(x), ref(x))
    assert h.shape == (3, 32) and isinstance(ours.fc, nn.Linear) and ours.fc is ours.head


def test_build_model_rejects_unknown_names_and_missing_public_weights():
    with pytest.raises(ValueError, match="unknown ImageNet model"):
        build_model("resnet19")
    with pytest.raises(ValueError, match="no public pretrained weights for MobileNetV1"):
        build_model("MobileNetV1", pretrained=True)
    with pytest.raises(ValueError, match="1000-class head"):
        build_model("beitv2_base_patch16_224", num_classes=10, pretrained=True)


def test_torchvision_teacher_loads_the_weights_torchvision_serves(monkeypatch):
    served = torchvision.models.resnet18().state_dict()
    monkeypatch.setattr(torchvision.models.ResNet18_Weights, "get_state_dict", lambda self, **kw: served)
    teacher = load_teacher("torchvision", "resnet18")
    assert all(torch.equal(v, served[k]) for k, v in teacher.state_dict().items())
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())


def test_torchvision_teacher_offline_error_says_to_pass_a_local_file(monkeypatch):
    def offline(self, **kw):
        raise urllib.error.URLError("Name or service not known")
    monkeypatch.setattr(torchvision.models.ResNet34_Weights, "get_state_dict", offline)
    with pytest.raises(RuntimeError, match="pass its local path as the teacher"):
        load_teacher("torchvision", "resnet34")
    with pytest.raises(ValueError, match="torchvision has no ImageNet weights for 'MobileNetV1'"):
        load_teacher("torchvision", "MobileNetV1")
    with pytest.raises(ValueError, match="make them agree"):
        load_teacher("timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k", "beitv2_base_patch16_224")


def _save(obj, path):
    torch.save(obj, path)
    return str(path)


def _file_formats(sd, tmp_path):
    """The same weights in every file layout the loader must accept."""
    from safetensors.torch import save_file
    engine = {"model": {**{"student." + k: v for k, v in sd.items()}, "head.net.weight": torch.ones(3)},
              "optimizer": {"state": {}, "param_groups": []}, "epoch": 4}
    safetensors_path = str(tmp_path / "w.safetensors")
    save_file({k: v.contiguous() for k, v in sd.items()}, safetensors_path)
    return {
        "raw": _save(sd, tmp_path / "raw.pth"),
        "model": _save({"model": sd}, tmp_path / "model.pth"),
        "state_dict+module": _save({"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 9},
                                   tmp_path / "ddp.pth.tar"),
        "engine": _save(engine, tmp_path / "engine.pth"),
        "safetensors": safetensors_path,
    }


@pytest.mark.slow
def test_teacher_file_formats_all_load_the_same_weights(tmp_path):
    source = build_model("resnet18", num_classes=5)
    for p in source.parameters():
        p.data.normal_()
    sd = source.state_dict()
    for fmt, path in _file_formats(sd, tmp_path).items():
        teacher = load_teacher(path, "resnet18", num_classes=5)
        loaded = teacher.state_dict()
        assert loaded.keys() == sd.keys(), fmt
        assert all(torch.equal(loaded[k], sd[k]) for k in sd), fmt
        assert not teacher.training and not any(p.requires_grad for p in teacher.parameters()), fmt


def test_wrong_architecture_error_lists_keys_and_names_the_fitting_one(tmp_path):
    path = _save({"model": build_model("resnet18", num_classes=5).state_dict()}, tmp_path / "r18.pth")
    with pytest.raises(StateDictMismatch) as err:
        load_teacher(path, "resnet34", num_classes=5)
    assert "missing keys" in str(err.value) and "layer1.2.conv1.weight" in str(err.value)
    assert "fits resnet18 (num_classes=5)" in str(err.value)
    with pytest.raises(StateDictMismatch, match="pass num_classes=5"):
        load_teacher(path, "resnet18", num_classes=1000)
    mobilenet = _save(build_model("MobileNetV1", num_classes=3).state_dict(), tmp_path / "mv1.pth")
    with pytest.raises(StateDictMismatch, match="fits MobileNetV1 \\(num_classes=3\\)"):
        load_teacher(mobilenet, "resnet18", num_classes=3)
    junk = _save({"model": {"encoder.w": torch.zeros(2, 2)}}, tmp_path / "junk.pth")
    with pytest.raises(StateDictMismatch, match="fits none of the zoo architectures"):
        load_teacher(junk, "resnet18", num_classes=5)


def test_missing_and_truncated_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_teacher(str(tmp_path / "nowhere.pth"), "resnet18")
    path = _save(build_model("resnet18", num_classes=5).state_dict(), tmp_path / "full.pth")
    data = open(path, "rb").read()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        load_teacher(path, "resnet18", num_classes=5)
