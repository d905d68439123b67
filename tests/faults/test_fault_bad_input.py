"""Bad input to the real CIFAR scripts (run in this process through their ``__main__``):
each case ends with one clear line naming the problem and the fix, a non-zero exit code,
and the finished run already in the output folder untouched (every file's bytes and mtime)."""
import shutil

import pytest
import torch

from helpers.fault_tools import (assert_bitwise_equal, final_weights, gendd_args, gendd_run_dir, kd_args, kd_run_dir,
                         partial_files, refused, run_in_process, snapshot, step_files, teacher_path)
from gendd.distillers import build as build_distiller
from gendd_cifar.models import build_model
from gendd_cifar.teachers import save_model

EXIT_WRITE_FAILED = 74


@pytest.fixture(scope="module", autouse=True)
def one_finished_run(world):
    """One finished 1-epoch KD run in <world>/save (the shared fake CIFAR world), made before this module's tests."""
    code, out = run_in_process(kd_args(world, world / "save", 1))
    assert code == 0, out


@pytest.fixture
def finished(world):
    """The finished run's folder; the test fails if anything in it changed."""
    run_dir = kd_run_dir(world / "save")
    before = snapshot(run_dir)
    yield run_dir
    assert snapshot(run_dir) == before


def teacher_file(world, name, arch, num_classes):
    """A fresh ``arch`` teacher saved at <world>/<name>/resnet8_vanilla/ckpt_epoch_240.pth,
    where the scripts take it for a 100-class resnet8."""
    path = world / name / "resnet8_vanilla" / "ckpt_epoch_240.pth"
    save_model(build_model(arch, num_classes), path, arch)
    return path


def with_teacher(args, path):
    args = list(args)
    args[args.index("--path_t") + 1] = str(path)
    return args


def test_missing_data_root_is_refused_without_creating_it(world, finished):
    missing = world / "no_such_folder"
    args = kd_args(world, world / "save", 1)
    args[args.index("--data_root") + 1] = str(missing)
    refused(args, "--data_root", "is no folder", "cifar-100-python", "create it")
    assert not missing.exists()


def test_truncated_data_files_are_refused(world, finished, tmp_path):
    data = shutil.copytree(world / "data", tmp_path / "data")
    train = data / "cifar-100-python" / "train"
    train.write_bytes(train.read_bytes()[:1000])
    args = kd_args(world, world / "save", 1)
    args[args.index("--data_root") + 1] = str(data)
    refused(args, "cannot read cifar100", "truncated", "--data_root")


def test_truncated_teacher_checkpoint_is_refused(world, finished):
    path = world / "cut" / "resnet8_vanilla" / "ckpt_epoch_240.pth"
    path.parent.mkdir(parents=True)
    path.write_bytes(teacher_path(world).read_bytes()[:5000])
    refused(with_teacher(kd_args(world, world / "save", 1), path), "cannot be read", "corrupted or truncated")


def test_teacher_file_of_another_architecture_is_refused(world, finished):
    path = teacher_file(world, "other_arch", "resnet14", 100)
    refused(with_teacher(kd_args(world, world / "save", 1), path), "is a resnet14 checkpoint, not a resnet8",
            "--arch_t resnet14")


def test_teacher_of_another_class_count_is_refused(world, finished):
    path = teacher_file(world, "ten_classes", "resnet8", 10)
    refused(with_teacher(kd_args(world, world / "save", 1), path), "has 10 output classes",
            "--dataset cifar100 has 100", "use a teacher trained on cifar100")


def test_teacher_dimension_not_divisible_by_token_dim_is_refused(world, finished):
    refused(gendd_args(world, world / "save", 1, "--token_dim", "48"), "feature dimension 64",
            "not divisible by the token dimension 48")
    assert not gendd_run_dir(world / "save").exists()


def test_stage2_from_the_stage1_file_of_another_student_is_refused(world, finished, tmp_path):
    teacher = build_model("resnet8", 100)
    stage1 = build_distiller("gendd_pretrain", build_model("resnet14", 100), teacher)
    torch.save({"model": stage1.state_dict(), "epoch": 1}, tmp_path / "final.pth")
    refused(gendd_args(world, world / "save", 1, "--path_pretrain", str(tmp_path / "final.pth")),
            "stage-1 file", "does not fit", "written for another student")
    assert not gendd_run_dir(world / "save").exists()


def test_output_folder_of_another_configuration_is_refused(world, finished):
    args = kd_args(world, world / "save", 1, "--learning_rate", "0.1")
    refused(args, "holds a run of a different configuration", "learning_rate: 0.05 -> 0.1",
            "--resume_mode resume", "--resume_mode overwrite")


def finish_run(world, save_dir):
    """A finished 1-epoch KD run in ``save_dir`` (the same computation as the module's)."""
    code, out = run_in_process(kd_args(world, save_dir, 1))
    assert code == 0, out
    return kd_run_dir(save_dir)


def test_run_whose_checkpoints_are_all_truncated_is_refused(world, tmp_path):
    save = tmp_path / "save"
    run_dir = finish_run(world, save)
    for path in step_files(run_dir):
        path.write_bytes(path.read_bytes()[:100])
    before = snapshot(run_dir)
    with pytest.warns(UserWarning, match="skipping unreadable checkpoint"):
        refused(kd_args(world, save, 1), "none of the 2 checkpoint(s)", "can be read", "--resume_mode overwrite")
    after = snapshot(run_dir)
    log = after.pop("log.txt")[1]
    assert log.startswith(before.pop("log.txt")[1])     # the log only grew (by the start line)
    assert after == before


def test_truncated_newest_checkpoint_falls_back_to_the_previous_one(world, tmp_path):
    save = tmp_path / "save"
    run_dir = finish_run(world, save)
    older, newest = step_files(run_dir)
    newest.write_bytes(newest.read_bytes()[:100])
    (run_dir / "final.pth").unlink()
    with pytest.warns(UserWarning, match="skipping unreadable checkpoint"):
        code, out = run_in_process(kd_args(world, save, 1))
    assert code == 0, out
    assert f"resumed from {older}" in (run_dir / "log.txt").read_text()
    assert_bitwise_equal(final_weights(run_dir), final_weights(kd_run_dir(world / "save")))


def test_full_disk_while_saving_keeps_the_previous_checkpoint(world, tmp_path, monkeypatch):
    """The second checkpoint write (step 4) runs out of space half-way: exit 74, step 2's
    checkpoint intact, no partial file; the same command then finishes the run exactly."""
    real_save, calls = torch.save, []

    def disk_fills_up(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            f.write(b"\0" * 4096)
            raise OSError(28, "No space left on device")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", disk_fills_up)
    args = kd_args(world, tmp_path, 1)
    refused(args, "could not save", "step_000000004.pth", "No space left on device", "previous checkpoint is untouched",
            "Free disk space", code=EXIT_WRITE_FAILED)
    monkeypatch.undo()
    run_dir = kd_run_dir(tmp_path)
    assert [p.name for p in step_files(run_dir)] == ["step_000000002.pth"] and not partial_files(run_dir)
    assert torch.load(step_files(run_dir)[0], weights_only=False)["global_step"] == 2
    code, out = run_in_process(args)
    assert code == 0, out
    assert_bitwise_equal(final_weights(run_dir), final_weights(kd_run_dir(world / "save")))
