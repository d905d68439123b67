"""Messages that say what happens: ``--help`` on ``--cuda_graph`` describes what the CPU does with
the flag (the captured step's program, eagerly: KD trains as without the flag up to float32
rounding, GenDD's weights differ), and a teacher file that cannot be read for lack of permission
is reported as such in both trees (exit 2), not as a corrupted or truncated file. Where the tests
run as root (who may read any file) the permission error is raised by ``open`` for that one
path, as the kernel raises it for another user."""
import builtins
import contextlib
import errno
import io
import os
import runpy
import sys

import pytest
import torch

from helpers.fault_tools import (CIFAR, final_weights, gendd_args, gendd_run_dir, kd_args, kd_run_dir, refused,
                                 run_in_process, teacher_path)
from helpers.imagenet_smoke import TREE, image_tree, teacher_file

pytestmark = pytest.mark.slow


def help_text(script: str) -> str:
    out, old_argv = io.StringIO(), sys.argv
    sys.argv = [script, "--help"]
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            runpy.run_path(str(CIFAR / script), run_name="__main__")
    finally:
        sys.argv = old_argv
    return " ".join(out.getvalue().split())


def test_cuda_graph_help_says_what_the_cpu_does_and_it_does(world, tmp_path):
    text = help_text("train_student_gendd.py")
    assert "ignored with a notice on the CPU" not in text
    assert "With 'on' and no CUDA the captured step's program runs eagerly" in text
    assert "GenDD then draws its feature mixup from another random stream" in text
    for name, args, run_dir in (("kd", kd_args, kd_run_dir), ("gendd", gendd_args, gendd_run_dir)):
        for flag in ([], ["--cuda_graph"]):
            code, out = run_in_process(args(world, tmp_path / f"{name}{len(flag)}", 1, *flag))
            assert code == 0, out[-3000:]
        plain, captured = (final_weights(run_dir(tmp_path / f"{name}{n}")) for n in (0, 1))
        same = all(torch.allclose(plain[k].float(), captured[k].float(), rtol=1e-3, atol=1e-5) for k in plain)
        assert same == (name == "kd"), name


def deny_reading(path, monkeypatch) -> None:
    """Make ``path`` unreadable to this process: chmod 0, or for root a PermissionError from open."""
    if os.geteuid() != 0:
        path.chmod(0)
        return
    real_open = builtins.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.fspath(file) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)


def test_an_unreadable_cifar_teacher_is_reported_as_permission_denied(world, tmp_path, monkeypatch):
    deny_reading(teacher_path(world), monkeypatch)
    try:
        out = refused(kd_args(world, tmp_path / "save", 1), f"checkpoint '{teacher_path(world)}' cannot be opened: "
                      f"permission denied", "make it readable (chmod/chown)")
    finally:
        teacher_path(world).chmod(0o644)
    assert "corrupted or truncated" not in out and not (tmp_path / "save").exists()


def test_an_unreadable_imagenet_teacher_is_reported_as_permission_denied(tmp_path, monkeypatch):
    image_tree(tmp_path / "data", 4, 2, [1] * 4, size=32)
    teacher = tmp_path / "teacher.pth"
    teacher_file(teacher, "MobileNetV1", 4)
    deny_reading(teacher, monkeypatch)
    args = ["main_kd.py", "--data", str(tmp_path / "data"), "--arch_t", "MobileNetV1", "--path_t", str(teacher),
            "--model_s", "MobileNetV1", "--learning_rate", "0.01", "--save_dir", str(tmp_path / "save"),
            "--device", "cpu", "--num_workers", "0", "--image_size", "32", "--epochs", "1", "--batch_size", "4",
            "--skip_teacher_eval"]
    out = refused(args, f"cannot load the teacher MobileNetV1 from --path_t '{teacher}'", "permission denied",
                  tree=TREE)
    assert "corrupted or truncated" not in out and not (tmp_path / "save").exists()
