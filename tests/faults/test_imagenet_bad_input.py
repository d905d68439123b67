"""Bad input to the real ImageNet-tree scripts (run in this process through their ``__main__``)
on a tiny ImageFolder tree (4 classes, 32 px): each case ends with one clear line naming the
problem and the fix, exit code 2, and the finished runs already in the output folder untouched
(every file's bytes and mtime): the scripts check every input before they claim the run folder.
Also: two runs of one command start from the same weights and end bitwise equal."""
import shutil

import pytest
import torch

from helpers.fault_tools import assert_bitwise_equal, final_weights, refused, run_in_process, snapshot
from gendd.distillers import build as build_distiller
from gendd_imagenet.models import build_model
from helpers.imagenet_smoke import TINY_ARCH, TINY_CLASSES, TREE, teacher_file

CLASSES, ARCH = TINY_CLASSES, TINY_ARCH  # the shared tiny ImageNet world (tests/faults/conftest.py)
SMOKE = ["--device", "cpu", "--num_workers", "0", "--image_size", "32", "--epochs", "1", "--batch_size", "4",
         "--skip_teacher_eval", "--keep_last", "1"]
TINY_HEAD = ["--width", "32", "--depth", "1", "--diffusion_batch_mul", "2", "--sampling_steps", "2",
             "--num_sampling", "0", "--warmup_epochs", "0"]


def kd_args(world, save_dir=None, *extra):
    """KD from the MobileNetV1 teacher file to a MobileNetV1 student, 1 epoch of 2 steps."""
    return ["main_kd.py", "--data", str(world / "data"), "--arch_t", ARCH, "--path_t", str(world / "teacher.pth"),
            "--model_s", ARCH, "--learning_rate", "0.01", "--save_dir", str(save_dir or world / "save"),
            *SMOKE, *extra]


def gendd_args(world, *extra):
    """GenDD stage 2 (tiny head, probe read-out only) for the same pair, from no stage-1 file."""
    return ["main_supervised_gendd.py", "--data", str(world / "data"), "--arch_t", ARCH, "--path_t",
            str(world / "teacher.pth"), "--model_s", ARCH, "--path_pretrain", "", "--save_dir", str(world / "save"),
            *SMOKE, *TINY_HEAD, *extra]


def run_dir(save_dir, kind):
    return save_dir / kind / f"S-{ARCH}_T-{ARCH}_imagenet_trial_0"


@pytest.fixture(scope="module", autouse=True)
def finished_runs(imagenet_world):
    """One finished KD run and one finished GenDD run in <imagenet_world>/save (the shared tiny
    ImageNet world of tests/faults/conftest.py), made before this module's tests."""
    world = imagenet_world
    for args in (kd_args(world), gendd_args(world)):
        code, out = run_in_process(args, TREE)
        assert code == 0, out[-3000:]
    assert (run_dir(world / "save", "kd") / "final.pth").is_file()
    assert (run_dir(world / "save", "gendd") / "final.pth").is_file()


@pytest.fixture
def untouched(imagenet_world):
    """The finished runs; the test fails if any file under <imagenet_world>/save changed or appeared."""
    before = snapshot(imagenet_world / "save")
    yield imagenet_world
    assert snapshot(imagenet_world / "save") == before


def replace(args, flag, value):
    args = list(args)
    args[args.index(flag) + 1] = str(value)
    return args


def test_missing_data_root_is_refused(untouched, tmp_path):
    missing = tmp_path / "no_such_folder"
    refused(replace(kd_args(untouched), "--data", missing), f"--data '{missing}'", "is no folder",
            "point it at the ImageNet root holding train/<class>/<image> and val/<class>/<image>",
            "`bash sh/prepare_imagenet.sh` in GenDD_imagenet/ lays ImageNet out there", tree=TREE)
    assert not missing.exists()


def test_data_root_without_a_val_folder_is_refused(untouched, tmp_path):
    data = shutil.copytree(untouched / "data" / "train", tmp_path / "data" / "train")
    refused(replace(kd_args(untouched), "--data", data.parent), "has no val/ folder", "point it at the ImageNet root",
            tree=TREE)


def test_missing_teacher_file_is_refused(untouched, tmp_path):
    refused(replace(kd_args(untouched), "--path_t", tmp_path / "teacher.pth"), f"cannot load the teacher {ARCH}",
            "does not exist", "check the path", tree=TREE)


def test_truncated_teacher_file_is_refused(untouched, tmp_path):
    cut = tmp_path / "teacher.pth"
    cut.write_bytes((untouched / "teacher.pth").read_bytes()[:5000])
    refused(replace(kd_args(untouched), "--path_t", cut), "cannot be read", "corrupted or truncated", tree=TREE)


def test_teacher_file_of_another_architecture_is_refused(untouched, tmp_path):
    path = teacher_file(tmp_path / "r18.pth", "resnet18", CLASSES)
    refused(replace(kd_args(untouched), "--path_t", path), f"is a resnet18 checkpoint, not a {ARCH}",
            "pass --arch_t resnet18", tree=TREE)


def test_teacher_of_another_class_count_is_refused(untouched, tmp_path):
    path = teacher_file(tmp_path / "ten_classes.pth", ARCH, 10)
    refused(replace(kd_args(untouched), "--path_t", path), "has 10 output classes", f"has {CLASSES}",
            "use a teacher trained on these classes", tree=TREE)


def test_teacher_dimension_not_divisible_by_token_dim_is_refused(untouched):
    refused(gendd_args(untouched, "--token_dim", "48"), "feature dimension 1024",
            "not divisible by the token dimension 48", tree=TREE)


def test_stage2_from_the_stage1_file_of_another_student_is_refused(untouched, tmp_path):
    teacher = build_model(ARCH, CLASSES)
    stage1 = build_distiller("gendd_pretrain", build_model("resnet18", CLASSES), teacher)
    torch.save({"model": stage1.state_dict(), "epoch": 1}, tmp_path / "final.pth")
    refused(replace(gendd_args(untouched), "--path_pretrain", tmp_path / "final.pth"), "stage-1 file",
            "does not fit", "written for another student", tree=TREE)


def test_missing_stage1_files_are_refused(untouched, tmp_path):
    refused(replace(gendd_args(untouched), "--path_pretrain", tmp_path / "final.pth"), "does not exist",
            "check the path", tree=TREE)
    refused(replace(gendd_args(untouched), "--path_pretrain", "auto"), "--path_pretrain auto: no finished stage-1 run",
            "run main_gendd_pretrain.py with the same --model_s/--arch_t", tree=TREE)


def test_run_folder_of_another_configuration_is_refused(untouched):
    refused(kd_args(untouched, None, "--learning_rate", "0.02"), "holds a run of a different configuration",
            "learning_rate: 0.01 -> 0.02", "--resume_mode resume", "--resume_mode overwrite", tree=TREE)


def test_the_same_command_starts_from_the_same_weights(imagenet_world, tmp_path):
    """A second run of the KD command (in this process, after every other run here) ends
    bitwise equal to the finished one: the scripts seed before they build any model."""
    code, out = run_in_process(kd_args(imagenet_world, tmp_path), TREE)
    assert code == 0, out[-3000:]
    assert_bitwise_equal(final_weights(run_dir(tmp_path, "kd")),
                         final_weights(run_dir(imagenet_world / "save", "kd")))
