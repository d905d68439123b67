"""Tiny ImageNet-tree fixtures for the launcher tests: an ImageFolder tree, img2dataset-style
CC3M shards, ImageNet-LT list files, random teachers saved to files, and two ways to run a
launcher: for real (bash, python subprocesses) or recorded (bash with a fake interpreter that
writes down each command line, which the test then runs in-process)."""
from __future__ import annotations

import io
import json
import os
import pathlib
import runpy
import subprocess
import sys

import torch
import webdataset as wds
from PIL import Image

from gendd_imagenet.models import build_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
TREE = ROOT / "GenDD_imagenet"
SMALL_HEAD = "--width 32 --depth 1 --diffusion_batch_mul 2 --sampling_steps 4"


def _image(c: int, i: int, size: int = 40) -> Image.Image:
    return Image.new("RGB", (size, size - 4), ((60 * c + 17 * i) % 256, (35 * i) % 256, (90 + 40 * c) % 256))


def image_tree(root: pathlib.Path, classes: int, train_per_class: int, val_counts: list[int], size: int = 40) -> str:
    """root/train/cCCC/*.JPEG (``train_per_class`` each) and root/val/cCCC/*.JPEG (``val_counts[c]`` each)."""
    for split, counts in (("train", [train_per_class] * classes), ("val", val_counts)):
        for c, n in enumerate(counts):
            folder = root / split / f"c{c:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                _image(c, i, size).save(folder / f"{split}_{c}_{i}.JPEG", quality=90)
    return str(root)


def cc3m_shards(folder: pathlib.Path, shards: int, per_shard: int) -> str:
    """img2dataset layout: NNNNN.tar with NNNNNIIII.jpg/.txt/.json samples; returns the brace pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(shards):
        with wds.TarWriter(str(folder / f"{s:05d}.tar")) as sink:
            for j in range(per_shard):
                jpg = io.BytesIO()
                _image(s, j).save(jpg, "JPEG", quality=90)
                key = f"{s:05d}{j:04d}"
                sink.write({"__key__": key, "jpg": jpg.getvalue(), "txt": f"caption {key}",
                            "json": json.dumps({"key": key, "status": "success"}).encode()})
    return str(folder / ("{00000..%05d}.tar" % (shards - 1)))


def lt_lists(root: pathlib.Path, train_counts: list[int], val_per_class: int) -> tuple[str, str]:
    """Images under root/train|val/cCCC and the list files 'train/cCCC/x.JPEG label'."""
    lists = {}
    for split, counts in (("train", train_counts), ("val", [val_per_class] * len(train_counts))):
        lines = []
        for c, n in enumerate(counts):
            (root / split / f"c{c:04d}").mkdir(parents=True, exist_ok=True)
            for i in range(n):
                rel = f"{split}/c{c:04d}/{i}.JPEG"
                _image(c, i, 24).save(root / rel)
                lines.append(f"{rel} {c}")
        lists[split] = root / f"lt_{split}.txt"
        lists[split].write_text("\n".join(lines) + "\n")
    return str(lists["train"]), str(lists["val"])


def teacher_file(path: pathlib.Path, arch: str, num_classes: int, seed: int = 0) -> str:
    """A randomly initialised zoo model saved as a raw state_dict."""
    torch.manual_seed(seed)
    torch.save(build_model(arch, num_classes).state_dict(), path)
    return str(path)


TINY_CLASSES = 4
TINY_ARCH = "MobileNetV1"  # the smallest zoo model: small run folders to compare byte for byte


def tiny_imagenet(root: pathlib.Path) -> pathlib.Path:
    """<root>/data (4 classes of 32 px, 2 train and 1 val image per class) and a 4-class MobileNetV1
    teacher at <root>/teacher.pth."""
    image_tree(root / "data", TINY_CLASSES, 2, [1] * TINY_CLASSES, size=32)
    teacher_file(root / "teacher.pth", TINY_ARCH, TINY_CLASSES)
    return root


def launcher_env(**overrides) -> dict:
    env = dict(os.environ, GPUS="1", NNODES="1", NODE_RANK="0", MASTER_ADDR="127.0.0.1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(TREE)]))
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def run_launcher(launcher: str, timeout: int = 240, **overrides) -> subprocess.CompletedProcess:
    """``bash <launcher>`` from GenDD_imagenet/, as the README runs it; fails with its output."""
    result = subprocess.run(["bash", launcher], cwd=TREE, env=launcher_env(**overrides), capture_output=True,
                            text=True, timeout=timeout)
    output = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    assert result.returncode == 0, f"{launcher} failed ({result.returncode}):\n{output}"
    return result


def record_launcher(launcher: str, folder: pathlib.Path, **overrides) -> list[list[str]]:
    """The python command lines ``bash <launcher>`` would run, in order, without running them."""
    folder.mkdir(parents=True, exist_ok=True)
    fake = folder / "record_python.sh"
    fake.write_text('#!/usr/bin/env bash\nn=$(ls "$RECORD_DIR" | grep -c "^cmd" || true)\n'
                    'printf "%s\\0" "$@" > "$RECORD_DIR/cmd$(printf %03d "$n")"\n')
    fake.chmod(0o755)
    record = folder / "commands"
    record.mkdir(exist_ok=True)
    for old in record.iterdir():
        old.unlink()
    subprocess.run(["bash", launcher], cwd=TREE, env=launcher_env(PYTHON=fake, RECORD_DIR=record, **overrides),
                   check=True, capture_output=True, text=True, timeout=60)
    return [p.read_bytes().decode().split("\0")[:-1] for p in sorted(record.iterdir())]


def run_in_process(command: list[str], monkeypatch, expect_code: int = 0) -> None:
    """Run a recorded ``script args...`` command line in this process, from GenDD_imagenet/,
    and check its exit code (0: success)."""
    script, *args = command
    monkeypatch.chdir(TREE)
    monkeypatch.setattr(sys, "argv", [script, *args])
    code = 0
    try:
        runpy.run_path(str(TREE / script), run_name="__main__")
    except SystemExit as stop:
        code = stop.code or 0
    assert code == expect_code, f"{' '.join(command)} exited with {code}, expected {expect_code}"
