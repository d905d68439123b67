"""The CIFAR-100 zoo: public key layouts, pooled feature sizes, the forward/fc contract,
channels_last, training steps and published parameter counts."""
import sys

import pytest
import torch

from helpers.reference_keys import REFERENCE_KEYS, read_key_layout
from gendd.state_dicts import rename_keys
from gendd_cifar.models import FINAL_LAYER_NAMES, build_model, feature_dim, model_names
from gendd_cifar.models.common import channel_shuffle

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py

# docs/method.md §5: pooled penultimate feature size of every architecture.
FEATURE_DIMS = {
    "resnet8": 64, "resnet14": 64, "resnet20": 64, "resnet32": 64, "resnet44": 64, "resnet56": 64, "resnet110": 64,
    "resnet8x4": 256, "resnet32x4": 256,
    "wrn_16_1": 64, "wrn_40_1": 64, "wrn_16_2": 128, "wrn_40_2": 128,
    "vgg8": 512, "vgg11": 512, "vgg13": 512, "vgg16": 512, "vgg19": 512,
    "ResNet50": 2048, "MobileNetV2": 1280, "ShuffleV1": 960, "ShuffleV2": 1024,
}
# Name of the final linear layer in the public RepDistiller/CRD checkpoints.
PUBLIC_FINAL = {**{name: "fc" for name in FEATURE_DIMS},
                **{f"vgg{d}": "classifier" for d in (8, 11, 13, 16, 19)},
                "ResNet50": "linear", "ShuffleV1": "linear", "ShuffleV2": "linear", "MobileNetV2": "classifier.0"}
ARCHS = sorted(FEATURE_DIMS)
# Side of the last stage's map for a 32×32 input (RepDistiller pools: avg 8 for resnets/wrns,
# 4 for vgg (pool3 skipped at 32 px), ResNet50 and the ShuffleNets, 2 for MobileNetV2).
FINAL_MAP_SIDE = {**{a: 8 for a in ARCHS if a.startswith(("resnet", "wrn"))},
                  **{a: 4 for a in ARCHS if a.startswith("vgg")},
                  "ResNet50": 4, "ShuffleV1": 4, "ShuffleV2": 4, "MobileNetV2": 2}

_eval_models = {}


def eval_model(arch):
    """One shared eval-mode instance per architecture for the read-only tests."""
    if arch not in _eval_models:
        _eval_models[arch] = build_model(arch).eval()
    return _eval_models[arch]


def test_zoo_names_and_tables():
    assert sorted(model_names()) == ARCHS
    assert FINAL_LAYER_NAMES == PUBLIC_FINAL
    assert {a: feature_dim(a) for a in ARCHS} == FEATURE_DIMS


@pytest.mark.parametrize("arch", ARCHS)
def test_state_dict_equals_public_layout(arch):
    sd = rename_keys(eval_model(arch).state_dict(), {"fc": PUBLIC_FINAL[arch]})
    have = {k: (tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in sd.items()}
    want = read_key_layout(REFERENCE_KEYS / "cifar" / f"{arch}.txt")
    assert sorted(set(want) - set(have)) == [], "missing keys"
    assert sorted(set(have) - set(want)) == [], "unexpected keys"
    assert {k: v for k, v in have.items() if v != want[k]} == {}, "shape/dtype mismatches"


@pytest.mark.parametrize("arch", ARCHS)
def test_features_head_and_channels_last(arch):
    model = eval_model(arch)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.forward_features(x)
        logits = model(x)
        feats_cl = model.forward_features(x.contiguous(memory_format=torch.channels_last))
    assert feats.shape == (2, FEATURE_DIMS[arch])
    assert model.fc.in_features == FEATURE_DIMS[arch] and model.fc.out_features == 100
    assert (feats >= 0).all(), "the pooled feature follows the last ReLU"
    assert torch.equal(logits, model.fc(feats))
    scale = feats.abs().max()
    assert (feats_cl - feats).abs().max() <= 1e-4 * scale


@pytest.mark.parametrize("arch", ARCHS)
def test_last_stage_resolution(arch, monkeypatch):
    """Strides are invisible in the key layout: check the map that gets pooled instead."""
    model = eval_model(arch)
    module = sys.modules[type(model).__module__]
    seen = []
    pool = module.global_avg_pool
    monkeypatch.setattr(module, "global_avg_pool", lambda x: seen.append(tuple(x.shape)) or pool(x))
    with torch.no_grad():
        model.forward_features(torch.randn(1, 3, 32, 32))
    side = FINAL_MAP_SIDE[arch]
    assert seen == [(1, FEATURE_DIMS[arch], side, side)]


@pytest.mark.parametrize("arch", ARCHS)
def test_train_step_reaches_every_parameter(arch):
    model = build_model(arch, num_classes=10).train()
    logits = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)
    torch.nn.functional.cross_entropy(logits, torch.tensor([1, 7])).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert no_grad == []
    assert model.fc.weight.grad.abs().sum() > 0


# Published parameter counts (RepDistiller/CRD, CIFAR-100 heads), in millions.
@pytest.mark.parametrize("arch,millions", [("resnet110", 1.73), ("resnet32x4", 7.43), ("wrn_40_2", 2.25),
                                           ("vgg13", 9.46), ("resnet56", 0.86)])
def test_parameter_counts_match_published(arch, millions):
    count = sum(p.numel() for p in eval_model(arch).parameters()) / 1e6
    assert count == pytest.approx(millions, rel=0.02)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown CIFAR architecture 'resnet57'.*'resnet56'.*valid names:.*ShuffleV2"):
        build_model("resnet57")
    with pytest.raises(ValueError, match="num_classes"):
        build_model("resnet8", num_classes=0)


@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
def test_channel_shuffle_closed_form(fmt):
    groups, per_group = 3, 4
    x = torch.randn(2, groups * per_group, 5, 5).contiguous(memory_format=fmt)
    out = channel_shuffle(x, groups)
    for i in range(per_group):
        for j in range(groups):
            assert torch.equal(out[:, i * groups + j], x[:, j * per_group + i])
    assert out.is_contiguous(memory_format=fmt)
