"""Shared pieces of the fault-injection tests: a tiny CIFAR-100 world (fake data in
torchvision's format and a resnet8 teacher file), the real CIFAR scripts run as processes
(plain, or under ``fault_runner.py``) or in this process (those of the ImageNet tree too),
and checks on run folders and on refusals."""
from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import pickle
import re
import runpy
import shutil
import subprocess
import sys
import time

import torch

from helpers.fake_cifar import write_fake_cifar100

ROOT = pathlib.Path(__file__).resolve().parents[2]
CIFAR = ROOT / "GenDD_cifar"
RUNNER = pathlib.Path(__file__).resolve().parent / "fault_runner.py"
STEPS_PER_EPOCH = 6           # 48 training images, batch 8
THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def make_world(root: pathlib.Path) -> pathlib.Path:
    """<root>/data (48 train, 16 test images) and <root>/models/resnet8_vanilla/ckpt_epoch_240.pth."""
    from gendd_cifar.models import build_model
    from gendd_cifar.teachers import save_model
    write_fake_cifar100(root / "data", n_train=8 * STEPS_PER_EPOCH, n_test=16)
    torch.manual_seed(0)
    save_model(build_model("resnet8", 100).eval(), teacher_path(root), "resnet8")
    return root


def teacher_path(world: pathlib.Path, arch: str = "resnet8") -> pathlib.Path:
    return world / "models" / f"{arch}_vanilla" / "ckpt_epoch_240.pth"


def common_args(world: pathlib.Path, save_dir: pathlib.Path, epochs: int = 2) -> list[str]:
    return ["--data_root", str(world / "data"), "--save_dir", str(save_dir), "--epochs", str(epochs),
            "--batch_size", "8", "--device", "cpu", "--num_workers", "0", "--save_every_steps", "2",
            "--keep_last", "2", "--log_every", "1", "--skip_teacher_eval"]


def kd_args(world, save_dir, epochs: int = 2, *extra: str) -> list[str]:
    """KD from the resnet8 teacher to a resnet8 student."""
    return ["train_student_kd.py", "--distill", "kd", "--path_t", str(teacher_path(world)), "--model_s", "resnet8",
            *common_args(world, save_dir, epochs), *extra]


def kd_run_dir(save_dir) -> pathlib.Path:
    return pathlib.Path(save_dir) / "student_kd" / "S-resnet8_T-resnet8_cifar100_trial_0"


def kd_args_with_a_bad_label(world, folder: pathlib.Path) -> list[str]:
    """``kd_args`` for 1 epoch (run folders under ``folder/save``) on a copy of the data in
    ``folder/data`` whose training sample 2 has the label 150, outside CIFAR-100's classes."""
    data = shutil.copytree(world / "data", folder / "data")
    train = data / "cifar-100-python" / "train"
    entry = pickle.loads(train.read_bytes())
    entry["fine_labels"] = [150 if i == 2 else label for i, label in enumerate(entry["fine_labels"])]
    train.write_bytes(pickle.dumps(entry))
    args = kd_args(world, folder / "save", 1)
    args[args.index("--data_root") + 1] = str(data)
    return args


def gendd_args(world, save_dir, epochs: int = 2, *extra: str) -> list[str]:
    """GenDD stage 2 with a tiny diffusion head, probe read-out only."""
    return ["train_student_gendd.py", "--path_t", str(teacher_path(world)), "--model_s", "resnet8",
            *common_args(world, save_dir, epochs), "--width", "32", "--depth", "1", "--diffusion_batch_mul", "2",
            "--sampling_steps", "3", "--num_sampling", "0", "--token_dim", "32", "--warmup_epochs", "0", *extra]


def gendd_run_dir(save_dir) -> pathlib.Path:
    return pathlib.Path(save_dir) / "student_gendd" / "S-resnet8_T-resnet8_cifar100_trial_0"


def process_env(faults: dict | None = None) -> dict:
    env = {**os.environ, **THREADS, "PYTHONUNBUFFERED": "1"}
    env.pop("GENDD_FAULTS", None)
    if faults:
        env["GENDD_FAULTS"] = json.dumps(faults)
    return env


def command(args: list[str], faults: dict | None = None) -> list[str]:
    """``python SCRIPT ARGS`` (under the fault runner when faults are asked for)."""
    return [sys.executable, *([str(RUNNER)] if faults else []), *args]


def run(args: list[str], faults: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command(args, faults), cwd=CIFAR, env=process_env(faults), capture_output=True, text=True,
                          timeout=timeout)


def start(args: list[str], faults: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(command(args, faults), cwd=CIFAR, env=process_env(faults), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_in_process(args: list[str], tree: pathlib.Path = CIFAR) -> tuple[int, str]:
    """Run ``python SCRIPT ARGS`` from ``tree`` inside this process (one thread, like the
    subprocesses): (exit code, stdout + stderr). Exceptions other than SystemExit propagate."""
    script, *rest = args
    old_argv, old_cwd, old_path, old_threads = sys.argv, os.getcwd(), list(sys.path), torch.get_num_threads()
    out = io.StringIO()
    code = 0
    try:
        os.chdir(tree)
        sys.path.insert(0, str(tree))
        sys.argv = [script, *rest]
        torch.set_num_threads(1)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = old_argv, old_path
        os.chdir(old_cwd)
        torch.set_num_threads(old_threads)
    return code, out.getvalue()


def refused(args: list[str], *words: str, code: int = 2, tree: pathlib.Path = CIFAR) -> str:
    """Run the script in this process and check that it refused: exit ``code``, no traceback,
    exactly one ``error: `` line, and every one of ``words`` in the output."""
    got, out = run_in_process(args, tree)
    assert got == code, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert sum(line.startswith("error: ") for line in re.split(r"[\r\n]+", out)) == 1, out[-3000:]
    for word in words:
        assert word in out, f"{word!r} not in:\n{out[-3000:]}"
    return out


def step_files(run_dir) -> list[pathlib.Path]:
    folder = pathlib.Path(run_dir) / "checkpoints"
    return sorted(folder.glob("step_*.pth")) if folder.is_dir() else []


def partial_files(run_dir) -> list[pathlib.Path]:
    run_dir = pathlib.Path(run_dir)
    return sorted([*run_dir.glob(".tmp-*"), *(run_dir / "checkpoints").glob(".tmp-*")])


def newest_step(run_dir) -> int:
    files = step_files(run_dir)
    return int(files[-1].stem.split("_")[1]) if files else 0


def wait_until(predicate, timeout: float = 120, poll: float = 0.005, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``predicate`` until true; False when ``proc`` ended or the time ran out first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(poll)
    return False


def final_weights(run_dir) -> dict[str, torch.Tensor]:
    return torch.load(pathlib.Path(run_dir) / "final.pth", map_location="cpu", weights_only=False)["model"]


def assert_bitwise_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f"{len(different)} tensors differ, e.g. {different[:3]}"


def snapshot(folder) -> dict[str, tuple[int, bytes]]:
    """{relative path: (mtime_ns, content)} of every file under ``folder`` but the writer's lock
    (``.lock``: a dead writer's is taken over and removed by the next start, refused or not)."""
    folder = pathlib.Path(folder)
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as fh:
        pairs = [item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}
