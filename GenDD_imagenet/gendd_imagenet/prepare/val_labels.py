"""The class (WNID) of every ImageNet validation image, read from one of three ground-truth formats.

* the official devkit ``ILSVRC2012_devkit_t12`` (folder or ``.tar.gz``):
  ``data/ILSVRC2012_validation_ground_truth.txt`` gives the 1-based ILSVRC2012_ID of image i
  (``ILSVRC2012_val_%08d.JPEG``) on line i, and ``data/meta.mat`` (MATLAB v5) maps
  ILSVRC2012_ID -> WNID; reading meta.mat needs scipy (optional, imported only here);
* Kaggle's ``LOC_val_solution.csv``: header ``ImageId,PredictionString``, rows
  ``ILSVRC2012_val_00008726,n02119789 255 142 454 329 ...`` (the first word is the WNID);
* a plain mapping ``val_labels.txt``: ``ILSVRC2012_val_00000001.JPEG n01751748`` per line.

Each reader returns {image file name: WNID}; bad input raises ValueError naming the line.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tarfile

WNID = re.compile(r"^n\d{8}$")
GROUND_TRUTH = "data/ILSVRC2012_validation_ground_truth.txt"
META = "data/meta.mat"


def _check_wnid(wnid: str, where: str) -> str:
    if not WNID.match(wnid):
        raise ValueError(f"{where}: {wnid!r} is no WordNet id (nXXXXXXXX)")
    return wnid


def _image_name(stem: str) -> str:
    return stem if stem.upper().endswith(".JPEG") else stem + ".JPEG"


def read_mapping_txt(path: str) -> dict[str, str]:
    """``<image file> <WNID>`` per line (blank lines ignored)."""
    labels = {}
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(f"{path}:{number}: expected '<image file> <WNID>', got {line.strip()!r}")
            labels[_image_name(os.path.basename(parts[0]))] = _check_wnid(parts[1], f"{path}:{number}")
    return labels


def read_loc_solution(path: str) -> dict[str, str]:
    """Kaggle's LOC_val_solution.csv: ImageId -> first word of PredictionString."""
    labels = {}
    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None or [h.strip() for h in header[:2]] != ["ImageId", "PredictionString"]:
            raise ValueError(f"{path}: the first line must be 'ImageId,PredictionString' "
                             "(Kaggle's LOC_val_solution.csv)")
        for number, row in enumerate(rows, 2):
            if len(row) < 2 or not row[1].split():
                raise ValueError(f"{path}:{number}: expected 'ImageId,WNID x y x y ...', got {','.join(row)!r}")
            labels[_image_name(row[0].strip())] = _check_wnid(row[1].split()[0], f"{path}:{number}")
    return labels


def devkit_labels(ground_truth: list[str], id_to_wnid: dict[int, str]) -> dict[str, str]:
    """Line i of the ground truth (a 1-based ILSVRC2012_ID) is image ILSVRC2012_val_%08d.JPEG % i."""
    labels = {}
    for number, line in enumerate((g for g in ground_truth if g.strip()), 1):
        if not line.strip().isdigit() or int(line) not in id_to_wnid:
            raise ValueError(f"{GROUND_TRUTH}:{number}: {line.strip()!r} is no ILSVRC2012_ID of meta.mat")
        labels[f"ILSVRC2012_val_{number:08d}.JPEG"] = id_to_wnid[int(line)]
    return labels


def _devkit_member(devkit: str, member: str) -> bytes:
    if os.path.isdir(devkit):
        path = os.path.join(devkit, member)
        if not os.path.isfile(path):
            raise ValueError(f"the devkit folder {devkit!r} has no {member}: pass ILSVRC2012_devkit_t12")
        with open(path, "rb") as fh:
            return fh.read()
    with tarfile.open(devkit) as tar:
        for info in tar.getmembers():
            if info.name.endswith("/" + member) or info.name == member:
                return tar.extractfile(info).read()
    raise ValueError(f"the devkit archive {devkit!r} has no {member}: pass ILSVRC2012_devkit_t12.tar.gz")


def meta_id_to_wnid(meta: bytes) -> dict[int, str]:
    """ILSVRC2012_ID -> WNID from meta.mat (needs scipy)."""
    try:
        from scipy.io import loadmat
    except ImportError as err:
        raise ValueError("reading the devkit's meta.mat needs scipy, which is not installed: pip install scipy, "
                         "or pass --labels LOC_val_solution.csv (Kaggle) or a val_labels.txt "
                         "('<image file> <WNID>' lines) instead") from err
    synsets = loadmat(io.BytesIO(meta), squeeze_me=True)["synsets"]
    return {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in synsets}


def read_devkit(devkit: str) -> dict[str, str]:
    ground_truth = _devkit_member(devkit, GROUND_TRUTH).decode().splitlines()
    return devkit_labels(ground_truth, meta_id_to_wnid(_devkit_member(devkit, META)))


def read_val_labels(path: str) -> dict[str, str]:
    """{image file name: WNID} from a devkit (folder or tar), a LOC_val_solution.csv or a mapping .txt."""
    if not os.path.exists(path):
        raise ValueError(f"--labels {path!r} does not exist: pass the devkit (ILSVRC2012_devkit_t12[.tar.gz]), "
                         f"LOC_val_solution.csv or val_labels.txt")
    if os.path.isdir(path) or path.endswith((".tar.gz", ".tgz", ".tar")):
        labels = read_devkit(path)
    elif path.endswith(".csv"):
        labels = read_loc_solution(path)
    else:
        labels = read_mapping_txt(path)
    if not labels:
        raise ValueError(f"--labels {path!r} names no image")
    return labels
