"""Loading public-layout CIFAR teacher files strictly, explaining misfits, and writing our own."""
import pytest
import torch

from helpers.reference_keys import REFERENCE_KEYS, read_key_layout, synthesize_state_dict
from gendd.state_dicts import StateDictMismatch
from gendd_cifar.models import build_model, model_names
from gendd_cifar.teachers import infer_arch, load_teacher, save_model

pytestmark = pytest.mark.usefixtures("one_thread_per_module")  # tests/conftest.py

# The public final-layer names (docs/method.md §5), written out independently of the package's table.
PUBLIC_FINAL = {"vgg8": "classifier", "vgg11": "classifier", "vgg13": "classifier", "vgg16": "classifier",
                "vgg19": "classifier", "ResNet50": "linear", "ShuffleV1": "linear", "ShuffleV2": "linear",
                "MobileNetV2": "classifier.0"}


def public_state_dict(arch, seed=0):
    return synthesize_state_dict(read_key_layout(REFERENCE_KEYS / "cifar" / f"{arch}.txt"), seed=seed)


def write_public(tmp_path, arch, payload, folder=None):
    path = tmp_path / (folder or f"{arch}_vanilla") / "ckpt_epoch_240.pth"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


@pytest.mark.parametrize("arch", sorted(model_names(), key=str.lower))
def test_public_file_loads_every_tensor(tmp_path, arch):
    sd = public_state_dict(arch)
    teacher = load_teacher(write_public(tmp_path, arch, {"model": sd, "epoch": 240}))
    assert not teacher.training
    assert not any(p.requires_grad for p in teacher.parameters())
    final = PUBLIC_FINAL.get(arch, "fc")
    assert torch.equal(teacher.fc.weight, sd[f"{final}.weight"])
    assert torch.equal(teacher.fc.bias, sd[f"{final}.bias"])
    ours = teacher.state_dict()
    for key, value in sd.items():
        if not key.startswith(final + "."):
            assert torch.equal(ours[key], value), key


@pytest.mark.parametrize("wrap", ["raw", "state_dict", "module_prefix"])
def test_other_wrappings_load(tmp_path, wrap):
    sd = public_state_dict("vgg8", seed=1)
    payload = {"raw": sd, "state_dict": {"state_dict": sd, "epoch": 3},
               "module_prefix": {"model": {f"module.{k}": v for k, v in sd.items()}}}[wrap]
    teacher = load_teacher(write_public(tmp_path, "vgg8", payload))
    assert torch.equal(teacher.fc.weight, sd["classifier.weight"])
    assert torch.equal(teacher.block4[1].running_var, sd["block4.1.running_var"])


def test_explicit_arch_wins_over_folder(tmp_path):
    sd = public_state_dict("resnet8x4")
    path = write_public(tmp_path, "resnet8x4", {"model": sd}, folder="resnet32x4_vanilla")
    teacher = load_teacher(path, arch="resnet8x4")
    assert torch.equal(teacher.conv1.weight, sd["conv1.weight"])


def test_wrong_architecture_lists_keys_and_names_the_fit(tmp_path):
    path = write_public(tmp_path, "wrn_16_2", {"model": public_state_dict("wrn_16_2")}, folder="resnet20_vanilla")
    with pytest.raises(StateDictMismatch) as err:
        load_teacher(path)
    msg = str(err.value)
    missing = msg.split("missing keys")[1].split("unexpected keys")[0]
    unexpected = msg.split("unexpected keys")[1]
    assert "layer1.0.conv1.weight" in missing and "block1.layer.0.conv1.weight" not in missing
    assert "block1.layer.0.convShortcut.weight" in unexpected
    assert "this file fits 'wrn_16_2': pass --arch wrn_16_2 or fix the folder name" in msg


def test_shufflenet_v1_file_as_v2(tmp_path):
    path = write_public(tmp_path, "ShuffleV1", {"model": public_state_dict("ShuffleV1")}, folder="ShuffleV2_vanilla")
    with pytest.raises(StateDictMismatch, match=r"(?s)missing keys .*layer1\.0\.conv4\.weight.*shape mismatches.*"
                                                r"fits 'ShuffleV1': pass --arch ShuffleV1"):
        load_teacher(path)


def test_deeper_resnet_in_wrong_folder(tmp_path):
    path = write_public(tmp_path, "resnet56", {"model": public_state_dict("resnet56")}, folder="resnet20_vanilla")
    with pytest.raises(StateDictMismatch, match=r"(?s)unexpected keys \(216\): .*layer1\.3\.conv1\.weight.*"
                                                r"fits 'resnet56': pass --arch resnet56"):
        load_teacher(path)


def test_file_that_fits_nothing(tmp_path):
    sd = public_state_dict("wrn_16_2")
    sd["extra.weight"] = torch.zeros(3)
    with pytest.raises(StateDictMismatch,
                       match=r"(?s)unexpected keys \(1\): extra\.weight.*fits no CIFAR architecture \(valid: resnet8"):
        load_teacher(write_public(tmp_path, "wrn_16_2", {"model": sd}))


def test_wrong_class_count_is_a_shape_mismatch(tmp_path):
    path = write_public(tmp_path, "resnet8", {"model": public_state_dict("resnet8")})
    with pytest.raises(StateDictMismatch, match=r"(?s)fc\.weight: file \(100, 64\) vs module \(10, 64\).*"
                                                r"a 100-class 'resnet8': pass num_classes=100"):
        load_teacher(path, num_classes=10)


def test_truncated_file_is_reported(tmp_path):
    path = write_public(tmp_path, "resnet8", {"model": public_state_dict("resnet8")})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="corrupted or truncated"):
        load_teacher(path)


def test_architecture_must_be_known(tmp_path):
    plain = write_public(tmp_path, "resnet8", {"model": public_state_dict("resnet8")}, folder="teachers")
    with pytest.raises(ValueError, match=r"no '<arch>_vanilla' folder; pass arch="):
        load_teacher(plain)
    typo = write_public(tmp_path, "resnet8", {"model": public_state_dict("resnet8")}, folder="resnet9_vanilla")
    with pytest.raises(ValueError, match=r"names no CIFAR architecture 'resnet9'.*valid names: resnet8"):
        load_teacher(typo)


def test_infer_arch():
    assert infer_arch("/t/wrn_40_2_vanilla/ckpt_epoch_240.pth") == "wrn_40_2"
    assert infer_arch("ResNet50_vanilla/ckpt_epoch_240.pth") == "ResNet50"
    assert infer_arch("/a/vgg8_vanilla/resnet32x4_vanilla/ckpt.pth") == "resnet32x4"
    assert infer_arch("/t/ckpt_epoch_240.pth") is None


@pytest.mark.parametrize("arch", ["MobileNetV2", "vgg13", "resnet20"])
def test_save_model_round_trip_in_public_layout(tmp_path, arch):
    model = build_model(arch).eval()
    for buffer_name, buffer in model.named_buffers():
        if buffer_name.endswith("running_var"):
            buffer.uniform_(0.5, 2.0)
    path = tmp_path / f"{arch}_vanilla" / "ckpt_epoch_240.pth"
    save_model(model, path, arch, extra={"epoch": 240})
    raw = torch.load(path, map_location="cpu")
    assert raw["epoch"] == 240
    layout = {k: tuple(v.shape) for k, v in raw["model"].items()}
    assert layout == {k: shape for k, (shape, _) in read_key_layout(REFERENCE_KEYS / "cifar" / f"{arch}.txt").items()}
    assert not list(tmp_path.rglob("*.tmp"))
    loaded = load_teacher(path)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))


def test_save_model_rejects_the_wrong_arch(tmp_path):
    with pytest.raises(StateDictMismatch, match="model to save as 'resnet20'"):
        save_model(build_model("resnet8"), tmp_path / "x.pth", "resnet20")
    assert not (tmp_path / "x.pth").exists()
