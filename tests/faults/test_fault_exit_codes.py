"""Exit codes as documented: bad inputs that used to end in a Python traceback with exit 1 now
end with exit 2 and one ``error:`` line naming the problem and the fix: an unknown --model_s
(both trees), --device cuda without CUDA, an unwritable --save_dir, an image that is not an
image or is truncated (ImageFolder), a training label outside the class range, and a damaged
config.yaml in the run folder."""
import pytest
import torch

from helpers.fault_tools import (CIFAR, THREADS, kd_args, kd_args_with_a_bad_label, kd_run_dir, refused,
                                 run_in_process, teacher_path)
from helpers.imagenet_smoke import TREE
from helpers.launcher_tools import free_port, run_launcher

pytestmark = pytest.mark.slow


def imagenet_args(root, data, save):
    return ["main_kd.py", "--data", str(data), "--arch_t", "MobileNetV1", "--path_t", str(root / "teacher.pth"),
            "--model_s", "MobileNetV1", "--learning_rate", "0.01", "--save_dir", str(save), "--device", "cpu",
            "--num_workers", "0", "--image_size", "32", "--epochs", "1", "--batch_size", "4", "--skip_teacher_eval"]


def test_unknown_student_is_refused_in_both_trees(world, imagenet_world, tmp_path):
    refused([*kd_args(world, tmp_path, 1), "--model_s", "resnet9"], "unknown CIFAR architecture 'resnet9'",
            "did you mean 'resnet8'?")
    refused([*imagenet_args(imagenet_world, imagenet_world / "data", tmp_path), "--model_s", "resnet19"],
            "unknown ImageNet model 'resnet19'", "choose one of", tree=TREE)
    assert not any(tmp_path.iterdir())


def test_device_cuda_without_cuda_is_refused(world, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    refused([*kd_args(world, tmp_path, 1), "--device", "cuda"], "--device cuda was asked for",
            "use --device cpu or auto")


def test_unwritable_save_dir_is_refused(world, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    refused(kd_args(world, blocker / "save", 1), "cannot write the run folder", "choose a writable --save_dir")


@pytest.mark.parametrize("damage", ["not_an_image", "truncated"])
def test_unreadable_image_is_refused_naming_the_file(imagenet_world, tmp_path, damage):
    import shutil
    data = shutil.copytree(imagenet_world / "data", tmp_path / "data")
    victim = sorted((data / "train").rglob("*.JPEG"))[3]
    victim.write_bytes(b"not an image" if damage == "not_an_image" else victim.read_bytes()[:200])
    refused(imagenet_args(imagenet_world, data, tmp_path / "save"), f"image '{victim}' cannot be read",
            "replace or remove the file", tree=TREE)


def test_label_outside_the_class_range_is_refused(world, tmp_path):
    refused(kd_args_with_a_bad_label(world, tmp_path), "holds label 150, outside the model's 100 classes",
            "check the data files")


@pytest.mark.parametrize("text", [b"epochs: [1, 2\n", b"\xff\xfe\x00garbage", b"- just\n- a list\n"])
def test_damaged_config_yaml_is_refused(world, tmp_path, text):
    code, out = run_in_process(kd_args(world, tmp_path, 1))
    assert code == 0, out
    config = kd_run_dir(tmp_path) / "config.yaml"
    config.write_bytes(text)
    refused(kd_args(world, tmp_path, 1), "config.yaml", "the run folder's record is damaged",
            "--resume_mode overwrite")
    assert config.read_bytes() == text
    code, out = run_in_process([*kd_args(world, tmp_path, 1), "--resume_mode", "overwrite"])
    assert code == 0, out


def test_under_torchrun_a_launcher_passes_the_scripts_exit_code_on(world, tmp_path):
    env = {"DATA_ROOT": str(world / "data"), "SAVE_DIR": str(tmp_path / "save"), "PATH_T": str(teacher_path(world)),
           "GPUS": "2", "EPOCHS": "1", "MASTER_PORT": str(free_port()), **THREADS,
           "EXTRA_ARGS": "--device cpu --num_workers 0 --skip_teacher_eval --batch_size 8 --keep_last 0"}
    res = run_launcher("sh/train_res56_res20_kd.sh", str(CIFAR), env)
    assert res.returncode == 2, res.stdout[-2000:] + res.stderr[-2000:]
    assert res.stderr.count("error: --keep_last 0 is not a valid value") == 2, res.stderr[-3000:]
    assert "error: rank 0, rank 1 exited with code 2 (the message is above)" in res.stderr, res.stderr[-3000:]
    assert "Traceback" not in res.stderr and not (tmp_path / "save").exists()
