"""Lay out ImageNet as the ImageFolder tree the scripts read: ROOT/train/<WNID>/*.JPEG and
ROOT/val/<WNID>/*.JPEG (``GenDD_imagenet/sh/prepare_imagenet.sh`` runs this).

* validation: the flat official images (``--val_tar ILSVRC2012_img_val.tar`` is extracted into
  ROOT/val first) are moved into class folders by the ground truth of ``--labels``
  (see ``val_labels``); then ROOT/val must hold ``--expect_val`` images in ``--expect_classes``
  folders (50,000 in 1,000);
* training: ``--train_tar ILSVRC2012_img_train.tar`` holds one ``<WNID>.tar`` per class, each
  extracted to ROOT/train/<WNID>/ (through ``<WNID>.partial``, so a killed run redoes only
  that class); then ROOT/train must have ``--expect_classes`` folders.

Idempotent: a second run finds nothing to move or extract, checks the counts and succeeds.
Bad input: one ``error:`` line, exit code 2; images are moved, never deleted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tarfile

from .val_labels import read_val_labels

IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def _extract(tar: tarfile.TarFile, dest: str, member: tarfile.TarInfo | None = None) -> None:
    """Extract safely (the 'data' filter refuses absolute paths and links out of ``dest``)."""
    if member is None:
        tar.extractall(dest, filter="data")
    else:
        tar.extract(member, dest, filter="data")


def extract_val_tar(val_tar: str, val_dir: str) -> int:
    """Flat images of the official validation tar into ``val_dir`` (those already sorted are skipped)."""
    sorted_names = {n for d in _class_dirs(val_dir) for n in os.listdir(os.path.join(val_dir, d))}
    count = 0
    with tarfile.open(val_tar) as tar:
        for member in tar:
            name = os.path.basename(member.name)
            if member.isfile() and _is_image(name) and name not in sorted_names \
                    and not os.path.exists(os.path.join(val_dir, name)):
                member.name = name
                _extract(tar, val_dir, member)
                count += 1
    return count


def _class_dirs(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def sort_val(val_dir: str, labels: dict[str, str]) -> int:
    """Move every flat image of ``val_dir`` into ``val_dir/<WNID>/``; the number moved."""
    flat = sorted(n for n in os.listdir(val_dir) if _is_image(n) and os.path.isfile(os.path.join(val_dir, n)))
    unknown = [n for n in flat if n not in labels]
    if unknown:
        raise ValueError(f"{len(unknown)} image(s) of {val_dir!r} have no label in --labels, e.g. {unknown[:3]}: "
                         f"pass the ground truth of these images")
    for name in flat:
        os.makedirs(os.path.join(val_dir, labels[name]), exist_ok=True)
        shutil.move(os.path.join(val_dir, name), os.path.join(val_dir, labels[name], name))
    return len(flat)


def extract_train_tar(train_tar: str, train_dir: str) -> int:
    """Each inner ``<WNID>.tar`` of the official training tar into ``train_dir/<WNID>/``; classes
    done before are skipped."""
    os.makedirs(train_dir, exist_ok=True)
    done = 0
    with tarfile.open(train_tar, mode="r|") as outer:
        for member in outer:
            wnid = os.path.basename(member.name)[: -len(".tar")]
            if not member.isfile() or not member.name.endswith(".tar") or os.path.isdir(os.path.join(train_dir, wnid)):
                continue
            partial = os.path.join(train_dir, wnid + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            with tarfile.open(fileobj=outer.extractfile(member), mode="r|") as inner:
                _extract(inner, partial)
            os.replace(partial, os.path.join(train_dir, wnid))
            done += 1
    return done


def count_images(split_dir: str) -> tuple[int, int]:
    """(class folders, images in them) of one split."""
    dirs = _class_dirs(split_dir)
    images = sum(1 for d in dirs for n in os.listdir(os.path.join(split_dir, d)) if _is_image(n))
    return len(dirs), images


def check_split(split_dir: str, classes: int, images: int | None) -> str:
    """A one-line summary; ValueError when the counts differ from the expected ones."""
    got_classes, got_images = count_images(split_dir)
    if got_classes != classes or (images is not None and got_images != images):
        want = f"{images} images in {classes}" if images is not None else f"{classes}"
        raise ValueError(f"{split_dir!r} holds {got_images} images in {got_classes} class folders, expected {want}: "
                         f"the data is incomplete; give the missing archives or ground truth and run again")
    return f"{split_dir}: {got_images} images in {got_classes} class folders"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default="data/imagenet", help="the ImageNet root to fill (train/ and val/)")
    p.add_argument("--labels", help="devkit folder/.tar.gz, LOC_val_solution.csv or val_labels.txt")
    p.add_argument("--val_tar", help="ILSVRC2012_img_val.tar (else the flat images already in ROOT/val)")
    p.add_argument("--train_tar", help="ILSVRC2012_img_train.tar (one <WNID>.tar per class)")
    p.add_argument("--expect_classes", type=int, default=1000)
    p.add_argument("--expect_val", type=int, default=50000)
    return p.parse_args(argv)


def prepare(args: argparse.Namespace) -> list[str]:
    """Do what is left to do and return the report lines."""
    val_dir, train_dir, report = os.path.join(args.root, "val"), os.path.join(args.root, "train"), []
    for flag in ("val_tar", "train_tar"):
        if getattr(args, flag) and not os.path.isfile(getattr(args, flag)):
            raise ValueError(f"--{flag} {getattr(args, flag)!r} does not exist: pass the official archive")
    if args.val_tar:
        os.makedirs(val_dir, exist_ok=True)
        report.append(f"extracted {extract_val_tar(args.val_tar, val_dir)} validation images")
    if not os.path.isdir(val_dir):
        raise ValueError(f"{val_dir!r} does not exist: pass --val_tar ILSVRC2012_img_val.tar "
                         "or put the flat images there")
    if any(_is_image(n) for n in os.listdir(val_dir)):
        if not args.labels:
            raise ValueError(f"{val_dir!r} holds unsorted images: pass --labels (the devkit, LOC_val_solution.csv "
                             f"or val_labels.txt)")
        report.append(f"moved {sort_val(val_dir, read_val_labels(args.labels))} validation images into class folders")
    report.append(check_split(val_dir, args.expect_classes, args.expect_val))
    if args.train_tar:
        report.append(f"extracted {extract_train_tar(args.train_tar, train_dir)} training classes")
    if os.path.isdir(train_dir):
        report.append(check_split(train_dir, args.expect_classes, None))
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        for line in prepare(args):
            print(line)
    except (ValueError, OSError, tarfile.TarError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
