"""``export_student.py --format safetensors|onnx``, ``--readout sampled`` and ``--push_to_hub`` on a
tiny trained GenDD run: safetensors holds the pth export's tensors; the ONNX file, run by
onnxruntime, gives the student's logits; the sampled read-out loads into a GenDD whose logits are
those of the project's own evaluation path; the upload goes through a local fake of
huggingface_hub (no network)."""
import argparse
import importlib.util
import sys
import types

import pytest
import torch
import torchvision
import yaml
from helpers.fault_tools import ROOT, gendd_args, gendd_run_dir, make_world, refused, run_in_process
from safetensors import safe_open
from safetensors.torch import load_file

from gendd.cli.gendd import build_gendd, checkpoint_teacher_fc, load_gendd_weights
from gendd.distillers.gendd import GenDD
from gendd.readout import load_readout
from gendd_cifar.models import build_model
from gendd_imagenet.models import build_model as build_imagenet

IMAGENET = ROOT / "GenDD_imagenet"
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
HAS_EXPORTER = importlib.util.find_spec("onnxscript") is not None


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A one-epoch GenDD run (resnet8 from resnet8) whose evaluation sampled (S = 1, K = 3)."""
    root = tmp_path_factory.mktemp("export")
    world = make_world(root / "world")
    code, out = run_in_process(gendd_args(world, root / "save", 1, "--num_sampling", "1"))
    assert code == 0, out
    return gendd_run_dir(root / "save")


def export(run, out, *extra, tree=ROOT / "GenDD_cifar"):
    code, text = run_in_process(["export_student.py", "--run", str(run), "--out", str(out), *extra], tree)
    assert code == 0 and "wrote" in text, text
    return text


@pytest.mark.slow
def test_safetensors_holds_the_pth_tensors_and_the_run_facts(run, tmp_path):
    export(run, tmp_path / "student.pth")
    export(run, tmp_path / "student.safetensors")
    pth = torch.load(tmp_path / "student.pth")
    tensors = load_file(tmp_path / "student.safetensors")
    assert tensors.keys() == pth["model"].keys() and all(torch.equal(tensors[k], pth["model"][k]) for k in tensors)
    with safe_open(tmp_path / "student.safetensors", framework="pt") as fh:
        meta = fh.metadata()
    assert meta["arch"] == "resnet8" and meta["epoch"] == "1" and float(meta["accuracy"]) == pth["accuracy"]


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_ORT and HAS_EXPORTER), reason="onnxruntime/onnxscript not installed (the onnx extra)")
def test_onnx_export_runs_in_onnxruntime_with_the_students_logits(run, tmp_path):
    import onnxruntime
    text = export(run, tmp_path / "student.onnx")
    assert "checked with onnxruntime" in text
    student = build_model("resnet8", 100)
    student.load_state_dict({k[len("student."):]: v for k, v in torch.load(run / "final.pth", weights_only=False)
                             ["model"].items() if k.startswith("student.")})
    images = torch.randn(7, 3, 32, 32)                       # another batch size than the export's example
    session = onnxruntime.InferenceSession(str(tmp_path / "student.onnx"), providers=["CPUExecutionProvider"])
    got = torch.from_numpy(session.run(["logits"], {"images": images.numpy()})[0])
    with torch.no_grad():
        assert torch.allclose(got, student.eval()(images), atol=1e-4)


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_ORT and HAS_EXPORTER), reason="onnxruntime/onnxscript not installed (the onnx extra)")
def test_an_onnx_file_that_disagrees_with_the_model_is_not_written(run, tmp_path, monkeypatch):
    import gendd.export_formats
    monkeypatch.setattr(gendd.export_formats, "ONNX_TOLERANCE", -1.0)   # every file now "disagrees"
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "s.onnx")],
            "gives logits that differ from the model's", "nothing written")
    assert list(tmp_path.iterdir()) == []


def test_onnx_without_the_exporter_package_is_a_clear_error(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)     # as if the onnx extra were not installed
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "s.onnx")],
            "needs the onnx and onnxscript packages", "pip install 'gendd[onnx]'")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["pth", "safetensors"])
def test_sampled_readout_reproduces_the_runs_logits(run, tmp_path, suffix):
    text = export(run, tmp_path / f"readout.{suffix}", "--readout", "sampled")
    assert "sampled read-out" in text
    readout = load_readout(str(tmp_path / f"readout.{suffix}"), build_model)
    config = argparse.Namespace(**yaml.safe_load((run / "config.yaml").read_text()))
    project = build_gendd(config, build_model("resnet8", 100), None, checkpoint_teacher_fc(str(run / "final.pth")))
    load_gendd_weights(project, str(run / "final.pth"))          # the path --evaluate takes
    images = torch.randn(5, 3, 32, 32)
    torch.manual_seed(3)
    expected = project.eval()(images)
    torch.manual_seed(3)
    got = readout(images)
    assert set(got) == {"sampled", "probe"} and all(torch.equal(got[k], expected[k]) for k in got)
    assert not torch.allclose(got["sampled"], got["probe"])
    assert readout.sampling.num_sampling == 1 and readout.sampling.steps == 3


def test_sampled_readout_refuses_onnx_and_runs_without_a_head(tmp_path):
    refused(["export_student.py", "--run", str(tmp_path / "none"), "--out", str(tmp_path / "r.onnx"), "--readout",
             "sampled"], "no final.pth")
    torch.manual_seed(0)
    from gendd.distillers import build
    kd = build("kd", build_model("resnet8", 100), build_model("resnet8", 100))
    run = tmp_path / "kd"
    run.mkdir()
    (run / "config.yaml").write_text("model_s: resnet8\n")
    torch.save({"model": kd.state_dict(), "epoch": 1, "metrics": {"top1": 5.0}}, run / "final.pth")
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "r.pth"), "--readout", "sampled"],
            "no GenDD diffusion head", "--readout probe")
    gendd = GenDD(build_model("resnet8", 100), build_model("resnet8", 100), width=16, depth=1, token_dim=16)
    torch.save({"model": gendd.state_dict(), "epoch": 1, "metrics": {}}, run / "final.pth")
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "r.onnx"), "--readout", "sampled"],
            "written as pth or safetensors, not onnx")
    assert not any(p.suffix in (".pth", ".onnx") for p in tmp_path.iterdir() if p.is_file())


class FakeHub:
    """A stand-in for huggingface_hub.HfApi recording the calls (no network)."""
    calls: list = []
    fail = False

    def create_repo(self, repo_id, repo_type, exist_ok):
        FakeHub.calls.append(("create_repo", repo_id, exist_ok))
        return f"https://hub.example/{repo_id}"

    def upload_file(self, path_or_fileobj, path_in_repo, repo_id, repo_type):
        if FakeHub.fail:
            raise ConnectionError("no network")
        data = path_or_fileobj if isinstance(path_or_fileobj, bytes) else open(path_or_fileobj, "rb").read()
        FakeHub.calls.append(("upload_file", repo_id, path_in_repo, data))


def test_push_to_hub_uploads_the_written_file_and_a_card(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(HfApi=FakeHub))
    FakeHub.calls, FakeHub.fail = [], False
    text = export(run, tmp_path / "student.safetensors", "--push_to_hub", "me/gendd-resnet8")
    assert "uploaded to https://hub.example/me/gendd-resnet8" in text
    create, upload, card = FakeHub.calls
    assert create == ("create_repo", "me/gendd-resnet8", True)
    assert upload[1:3] == ("me/gendd-resnet8", "student.safetensors")
    assert upload[3] == (tmp_path / "student.safetensors").read_bytes()
    assert card[2] == "README.md" and b"architecture: resnet8" in card[3]
    FakeHub.fail = True
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "again.pth"), "--push_to_hub", "me/x"],
            "failed (ConnectionError: no network)", "the file is kept")
    assert (tmp_path / "again.pth").is_file()
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)   # the hub extra not installed
    refused(["export_student.py", "--run", str(run), "--out", str(tmp_path / "third.pth"), "--push_to_hub", "me/x"],
            "needs the huggingface_hub package", "pip install 'gendd[hub]'")


def imagenet_run(tmp_path):
    """A resnet18 GenDD checkpoint of 4 classes, trained at --image_size 64; (run folder, its student)."""
    torch.manual_seed(1)
    student = build_imagenet("resnet18", 4)
    distiller = GenDD(student, build_imagenet("resnet18", 4), width=32, depth=1, diffusion_batch_mul=1)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("model_s: resnet18\nimage_size: 64\n")
    torch.save({"model": distiller.state_dict(), "epoch": 3, "metrics": {"probe_top1": 12.5}}, run / "final.pth")
    return run, student


def test_imagenet_safetensors_loads_into_torchvision(tmp_path):
    run, student = imagenet_run(tmp_path)
    export(run, tmp_path / "r18.safetensors", tree=IMAGENET)
    plain = torchvision.models.resnet18(num_classes=4)
    plain.load_state_dict(load_file(tmp_path / "r18.safetensors"))     # strict
    assert all(torch.equal(v, student.state_dict()[k]) for k, v in plain.state_dict().items())


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_ORT and HAS_EXPORTER), reason="onnxruntime/onnxscript not installed (the onnx extra)")
def test_imagenet_onnx_export_takes_the_runs_image_size(tmp_path):
    import onnxruntime
    run, student = imagenet_run(tmp_path)
    text = export(run, tmp_path / "r18.onnx", tree=IMAGENET)
    assert "checked with onnxruntime" in text
    session = onnxruntime.InferenceSession(str(tmp_path / "r18.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [3, 64, 64]
    plain = torchvision.models.resnet18(num_classes=4).eval()
    plain.load_state_dict(student.state_dict())
    images = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(session.run(["logits"], {"images": images.numpy()})[0]),
                              plain(images), atol=1e-4)
