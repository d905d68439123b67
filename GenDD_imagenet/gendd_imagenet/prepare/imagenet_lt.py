"""Check the ImageNet-LT list files against the ImageNet root (``sh/check_imagenet_lt.sh``).

The lists ``ImageNet_LT_train.txt`` (115,846 lines), ``ImageNet_LT_test.txt`` (50,000) and
``ImageNet_LT_val.txt`` (20,000) come from the OLTR project (Liu et al., CVPR 2019:
github.com/zhmiao/OpenLongTailRecognition-OLTR, Google Drive link in its README; also the
"liuziwei7/large-scale-long-tailed-open-world" page). Each line is ``relative/path.JPEG label``
with paths relative to the ImageNet root (``train/nXXXXXXXX/...``, ``val/nXXXXXXXX/...``).
A check passes when every list exists, has its expected line count and every image it names
exists under the root. Bad input: one ``error:`` line, exit code 2.
"""
from __future__ import annotations

import argparse
import os
import sys


EXPECTED = {"train": 115846, "test": 50000, "val": 20000}


def read_list(path: str) -> list[tuple[str, int]]:
    """(relative path, label) pairs of a list file (blank lines skipped): FileNotFoundError for a
    missing file, ValueError naming a bad line or an empty list. The training data reads lists
    with this function too (``data.imagenet_lt``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ImageNet-LT list file {path!r} does not exist; expected lines "
                                f"'relative/path.JPEG label': download ImageNet_LT_{{train,test,val}}.txt "
                                f"(OLTR project) into that folder")
    samples = []
    with open(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit() or int(parts[1]) < 0:
                raise ValueError(f"{path}:{number}: expected 'relative/path.JPEG label' with a label >= 0, "
                                 f"got {line.strip()!r}")
            samples.append((parts[0], int(parts[1])))
    if not samples:
        raise ValueError(f"ImageNet-LT list file {path!r} holds no samples")
    return samples


def check_list(path: str, root: str, expected: int) -> str:
    """One summary line; ValueError naming the first problem."""
    samples = read_list(path)
    if len(samples) != expected:
        raise ValueError(f"{path!r} has {len(samples)} lines, expected {expected}: download the list again")
    missing = [rel for rel, _ in samples if not os.path.isfile(os.path.join(root, rel))]
    if missing:
        raise ValueError(f"{len(missing)} of the {len(samples)} images of {path!r} are missing under {root!r}, "
                         f"e.g. {missing[:3]}: point --root at the ImageNet root the lists are relative to "
                         f"(val/ sorted into class folders: sh/prepare_imagenet.sh)")
    return f"{path}: {len(samples)} images, {len({label for _, label in samples})} classes, all present"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default="data/imagenet", help="the ImageNet root the list paths are relative to")
    p.add_argument("--lists", default="data/ImageNet_LT", help="folder of ImageNet_LT_{train,test,val}.txt")
    for split, count in EXPECTED.items():
        p.add_argument(f"--expect_{split}", type=int, default=count, help=f"lines of ImageNet_LT_{split}.txt")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if not os.path.isdir(args.root):
            raise ValueError(f"--root {args.root!r} is no folder: point it at the ImageNet root")
        for split in EXPECTED:
            path = os.path.join(args.lists, f"ImageNet_LT_{split}.txt")
            print(check_list(path, args.root, getattr(args, f"expect_{split}")))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
