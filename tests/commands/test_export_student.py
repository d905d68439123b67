"""The distilled student exported alone: a tiny trained GenDD run's student, written in the public
CIFAR zoo layout, loads into the plain architecture and reproduces the run's probe accuracy;
the ImageNet export loads into torchvision's resnet18 unchanged."""
import pytest
import torch
import torchvision
from helpers.reference_keys import REFERENCE_KEYS, read_key_layout
from helpers.fault_tools import ROOT, gendd_args, gendd_run_dir, make_world, refused, run_in_process
from helpers.fake_cifar import write_fake_cifar100

from gendd.distillers.gendd import GenDD
from gendd_cifar.data import build_datasets
from gendd_cifar.teachers import load_teacher
from gendd_imagenet.models import build_model as build_imagenet

IMAGENET = ROOT / "GenDD_imagenet"


def accuracy(model, dataset, k):
    images = torch.stack([dataset[i][0] for i in range(len(dataset))])
    labels = torch.tensor([dataset[i][1] for i in range(len(dataset))])
    with torch.no_grad():
        top = model(images).topk(k, dim=1).indices
    return 100.0 * int((top == labels[:, None]).any(dim=1).sum()) / len(labels)


@pytest.mark.slow
def test_cifar_export_reproduces_the_probe_accuracy(tmp_path):
    world = make_world(tmp_path / "world")
    write_fake_cifar100(world / "data", n_train=48, n_test=200)  # 200 test images: a top-5 above 0
    code, out = run_in_process(gendd_args(world, world / "save", 1))
    assert code == 0, out
    run = gendd_run_dir(world / "save")
    student_file = tmp_path / "student.pth"
    code, out = run_in_process(["export_student.py", "--run", str(run), "--out", str(student_file)])
    assert code == 0 and "wrote" in out, out
    saved = torch.load(student_file)
    public = read_key_layout(REFERENCE_KEYS / "cifar" / "resnet8.txt")
    assert {k: tuple(v.shape) for k, v in saved["model"].items()} == {k: s for k, (s, _) in public.items()}
    final = torch.load(run / "final.pth", weights_only=False)
    assert saved["epoch"] == 1 and saved["accuracy"] == final["metrics"]["probe_top1"]
    model = load_teacher(student_file, arch="resnet8")  # the public loader: strict, plain architecture
    test = build_datasets("cifar100", str(world / "data")).test
    assert accuracy(model, test, 1) == final["metrics"]["probe_top1"]
    assert accuracy(model, test, 5) == final["metrics"]["probe_top5"] > 0


def test_imagenet_export_is_torchvision_layout(tmp_path):
    torch.manual_seed(1)
    student, teacher = build_imagenet("resnet18", 4), build_imagenet("resnet18", 4)
    distiller = GenDD(student, teacher, width=32, depth=1, diffusion_batch_mul=1)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("model_s: resnet18\n")
    torch.save({"model": distiller.state_dict(), "epoch": 3, "metrics": {"probe_top1": 12.5}}, run / "final.pth")
    code, out = run_in_process(["export_student.py", "--run", str(run / "final.pth"), "--out",
                                str(tmp_path / "r18.pth")], IMAGENET)
    assert code == 0 and "top-1 12.50 %" in out, out
    plain = torchvision.models.resnet18(num_classes=4)
    plain.load_state_dict(torch.load(tmp_path / "r18.pth"))  # strict
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(plain.eval()(x), student.eval()(x))


def test_export_refuses_a_folder_without_a_run(tmp_path):
    refused(["export_student.py", "--run", str(tmp_path), "--out", str(tmp_path / "s.pth")],
            "no final.pth", "pass a run folder")
    assert not (tmp_path / "s.pth").exists()
    torch.save({"model": {"fc.weight": torch.zeros(2, 2)}}, tmp_path / "other.pth")
    refused(["export_student.py", "--run", str(tmp_path / "other.pth"), "--out", str(tmp_path / "s.pth")],
            "no distiller state_dict with 'student.*' keys")

