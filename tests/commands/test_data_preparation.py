"""Data preparation on tiny fakes of each input format: ImageNet val sorting (LOC_val_solution.csv,
val_labels.txt, the devkit), the official train/val tars, the ImageNet-LT list check, the CC3M
img2dataset script (with a fake img2dataset) and a CC3M loader that skips missing/unreadable shards."""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import tarfile

import pytest
import torchvision.transforms as T
from helpers.imagenet_smoke import cc3m_shards
from PIL import Image

from gendd_imagenet.data import CC3MSource
from gendd_imagenet.prepare.val_labels import devkit_labels

TREE = pathlib.Path(__file__).resolve().parents[2] / "GenDD_imagenet"
WNIDS = ["n01440764", "n01443537", "n01484850"]
PER_CLASS = 2
COUNTS = ["--expect_classes", "3", "--expect_val", "6"]


def run_sh(script, *args, env=None):
    return subprocess.run(["bash", str(TREE / "sh" / script), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}, timeout=120)


def val_images(folder):
    """Flat official-style images ILSVRC2012_val_0000000i.JPEG; image i is of class (i - 1) % 3."""
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i in range(1, len(WNIDS) * PER_CLASS + 1):
        name = f"ILSVRC2012_val_{i:08d}.JPEG"
        Image.new("RGB", (8, 8), (i * 30, 0, 0)).save(folder / name)
        truth[name] = WNIDS[(i - 1) % len(WNIDS)]
    return truth


def snapshot(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def assert_sorted(val_dir, truth):
    assert sorted(os.listdir(val_dir)) == WNIDS
    assert {n: d.name for d in val_dir.iterdir() for n in os.listdir(d)} == truth


def test_val_sorted_from_kaggle_csv_and_second_run_does_nothing(tmp_path):
    truth = val_images(tmp_path / "in1k" / "val")
    csv = tmp_path / "LOC_val_solution.csv"
    csv.write_text("ImageId,PredictionString\n" + "".join(
        f"{n[:-5]},{w} 1 2 30 40 {w} 5 6 7 8\n" for n, w in reversed(list(truth.items()))))
    first = run_sh("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--labels", csv, *COUNTS)
    assert first.returncode == 0, first.stderr
    assert "moved 6 validation images" in first.stdout and "6 images in 3 class folders" in first.stdout
    assert_sorted(tmp_path / "in1k" / "val", truth)
    before = snapshot(tmp_path / "in1k")
    again = run_sh("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--labels", csv, *COUNTS)
    assert again.returncode == 0 and "moved" not in again.stdout and "6 images in 3 class folders" in again.stdout
    assert snapshot(tmp_path / "in1k") == before


def _train_tar(path, tmp_path):
    """The official layout: one <WNID>.tar per class inside the outer tar."""
    with tarfile.open(path, "w") as outer:
        for c, wnid in enumerate(WNIDS):
            inner = tmp_path / f"{wnid}.tar"
            with tarfile.open(inner, "w") as tar:
                for i in range(c + 1):
                    image = tmp_path / f"{wnid}_{i}.JPEG"
                    Image.new("RGB", (8, 8)).save(image)
                    tar.add(image, arcname=image.name)
            outer.add(inner, arcname=inner.name)


def test_val_and_train_tars_with_a_labels_txt(tmp_path):
    truth = val_images(tmp_path / "flat")
    with tarfile.open(tmp_path / "ILSVRC2012_img_val.tar", "w") as tar:
        for name in truth:
            tar.add(tmp_path / "flat" / name, arcname=name)
    _train_tar(tmp_path / "ILSVRC2012_img_train.tar", tmp_path)
    labels = tmp_path / "val_labels.txt"
    labels.write_text("".join(f"{n} {w}\n" for n, w in truth.items()))
    args = ["--root", tmp_path / "in1k", "--labels", labels, "--val_tar", tmp_path / "ILSVRC2012_img_val.tar",
            "--train_tar", tmp_path / "ILSVRC2012_img_train.tar", *COUNTS]
    first = run_sh("prepare_imagenet.sh", *args)
    assert first.returncode == 0, first.stderr
    assert "extracted 6 validation images" in first.stdout and "extracted 3 training classes" in first.stdout
    assert_sorted(tmp_path / "in1k" / "val", truth)
    train = tmp_path / "in1k" / "train"
    assert {d.name: len(os.listdir(d)) for d in train.iterdir()} == {w: c + 1 for c, w in enumerate(WNIDS)}
    before = snapshot(tmp_path / "in1k")
    again = run_sh("prepare_imagenet.sh", *args)
    assert again.returncode == 0, again.stderr
    assert "extracted 0 validation images" in again.stdout and "extracted 0 training classes" in again.stdout
    assert snapshot(tmp_path / "in1k") == before


def _refused(result, *words):
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and all(w in lines[0] for w in words), result.stderr


def test_bad_counts_unknown_images_and_missing_archives_are_refused(tmp_path):
    truth = val_images(tmp_path / "in1k" / "val")
    labels = tmp_path / "val_labels.txt"
    labels.write_text("".join(f"{n} {w}\n" for n, w in list(truth.items())[1:]))
    _refused(run_sh("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--labels", labels, *COUNTS),
             "have no label in --labels", "ILSVRC2012_val_00000001.JPEG")
    assert len(list((tmp_path / "in1k" / "val").glob("*.JPEG"))) == 6  # nothing moved
    labels.write_text("".join(f"{n} {w}\n" for n, w in truth.items()))
    _refused(run_sh("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--labels", labels, "--expect_classes", "3",
                    "--expect_val", "50000"), "holds 6 images in 3 class folders, expected 50000 images in 3")
    _refused(run_sh("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--train_tar", tmp_path / "no.tar", *COUNTS),
             "--train_tar", "does not exist")


def test_devkit_ground_truth():
    """Line i of the ground truth is the 1-based ILSVRC2012_ID of image i; meta.mat maps it to a WNID."""
    got = devkit_labels(["2", "1", "3", "2"], {1: WNIDS[0], 2: WNIDS[1], 3: WNIDS[2]})
    assert got == {"ILSVRC2012_val_00000001.JPEG": WNIDS[1], "ILSVRC2012_val_00000002.JPEG": WNIDS[0],
                   "ILSVRC2012_val_00000003.JPEG": WNIDS[2], "ILSVRC2012_val_00000004.JPEG": WNIDS[1]}
    with pytest.raises(ValueError, match="'7' is no ILSVRC2012_ID"):
        devkit_labels(["1", "7"], {1: WNIDS[0]})


def test_devkit_folder_end_to_end_or_a_clear_scipy_error(tmp_path):
    truth = val_images(tmp_path / "in1k" / "val")
    data = tmp_path / "ILSVRC2012_devkit_t12" / "data"
    data.mkdir(parents=True)
    ids = {w: 3 - c for c, w in enumerate(WNIDS)}  # IDs in another order than the WNIDs
    (data / "ILSVRC2012_validation_ground_truth.txt").write_text("".join(f"{ids[w]}\n" for w in truth.values()))
    result_args = ("prepare_imagenet.sh", "--root", tmp_path / "in1k", "--labels", data.parent, *COUNTS)
    if importlib.util.find_spec("scipy") is None:
        (data / "meta.mat").write_bytes(b"MATLAB 5.0 MAT-file")
        _refused(run_sh(*result_args), "needs scipy", "pip install scipy", "LOC_val_solution.csv")
        return
    from scipy.io import savemat
    synsets = [{"ILSVRC2012_ID": i, "WNID": w} for w, i in ids.items()]
    savemat(data / "meta.mat", {"synsets": synsets})
    result = run_sh(*result_args)
    assert result.returncode == 0, result.stderr
    assert_sorted(tmp_path / "in1k" / "val", truth)


def _lt_world(root, counts):
    """ImageNet-LT lists under root/lists with ``counts`` lines each, their images under root/in1k."""
    (root / "lists").mkdir(parents=True)
    for split, n in counts.items():
        lines = []
        for i in range(n):
            rel = f"{'train' if split == 'train' else 'val'}/{WNIDS[i % 3]}/{split}_{i}.JPEG"
            (root / "in1k" / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / "in1k" / rel).write_bytes(b"jpeg")
            lines.append(f"{rel} {i % 3}\n")
        (root / "lists" / f"ImageNet_LT_{split}.txt").write_text("".join(lines))


def test_imagenet_lt_check(tmp_path):
    _lt_world(tmp_path, {"train": 7, "test": 3, "val": 2})
    base = ["--root", tmp_path / "in1k", "--lists", tmp_path / "lists", "--expect_train", "7", "--expect_test", "3"]
    ok = run_sh("check_imagenet_lt.sh", *base, "--expect_val", "2")
    assert ok.returncode == 0, ok.stderr
    assert "ImageNet_LT_train.txt: 7 images, 3 classes, all present" in ok.stdout
    assert ok.stdout.count("all present") == 3
    _refused(run_sh("check_imagenet_lt.sh", *base), "ImageNet_LT_val.txt", "has 2 lines, expected 20000")
    (tmp_path / "in1k" / "val" / WNIDS[1] / "test_1.JPEG").unlink()
    _refused(run_sh("check_imagenet_lt.sh", *base, "--expect_val", "2"), "1 of the 3 images", "test_1.JPEG")


def _fake_img2dataset(bin_dir, log):
    """An img2dataset that records its command line and writes two shards' stats (15 of 20 images)."""
    bin_dir.mkdir()
    script = bin_dir / "img2dataset"
    script.write_text(f"""#!/usr/bin/env bash
echo "$@" > {log}
while [[ $# -gt 0 ]]; do [[ $1 == --output_folder ]] && out=$2; shift; done
echo '{{"count": 10, "successes": 9, "failed_to_download": 1}}' > "$out/00000_stats.json"
echo '{{"count": 10, "successes": 6, "failed_to_download": 4}}' > "$out/00001_stats.json"
touch "$out/00000.tar" "$out/00001.tar"
""")
    script.chmod(0o755)


def test_prepare_cc3m_runs_img2dataset_and_reports_the_share_obtained(tmp_path):
    tsv = tmp_path / "Train_GCC-training.tsv"
    tsv.write_text("a cat\thttp://x/1.jpg\na dog\thttp://x/2.jpg\n")
    no_tool = run_sh("prepare_cc3m.sh", tsv, tmp_path / "out", env={"PATH": "/usr/bin:/bin"})
    if shutil.which("img2dataset", path="/usr/bin:/bin") is None:
        _refused(no_tool, "img2dataset is not installed", "pip install img2dataset")
    _refused(run_sh("prepare_cc3m.sh", tmp_path / "none.tsv"), "Train_GCC-training.tsv")
    _fake_img2dataset(tmp_path / "bin", tmp_path / "args.txt")
    result = run_sh("prepare_cc3m.sh", tsv, tmp_path / "out", env={"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert "CC3M: 15 of 20 images obtained (75.00 %), 2 shards, 2 stats files" in result.stdout
    args = (tmp_path / "args.txt").read_text().split()
    assert args[args.index("--output_format") + 1] == "webdataset"
    assert args[args.index("--url_col") + 1] == "url" and args[args.index("--caption_col") + 1] == "caption"
    listed = pathlib.Path(args[args.index("--url_list") + 1]).read_text()
    assert listed == "caption\turl\n" + tsv.read_text()  # img2dataset reads the column names from a header


def test_cc3m_loader_skips_missing_and_unreadable_shards_with_a_warning(tmp_path):
    cc3m_shards(tmp_path, shards=3, per_shard=4)
    (tmp_path / "00001.tar").write_bytes(b"not a tar file" * 64)
    with pytest.warns(UserWarning, match="1 of 4 CC3M shards do not exist and are skipped"):
        source = CC3MSource(str(tmp_path / "{00000..00003}.tar"), T.Compose([T.Resize((8, 8)), T.ToTensor()]),
                            batch_size=2, iterations=4, seed=0, num_workers=0)
    assert [os.path.basename(u) for u in source.urls] == ["00000.tar", "00001.tar", "00002.tar"]
    with pytest.warns(UserWarning, match="unreadable part of a CC3M shard"):
        batches = list(source.batches(1))
    assert len(batches) == 4 and all(x.shape == (2, 3, 8, 8) for x, _ in batches)
