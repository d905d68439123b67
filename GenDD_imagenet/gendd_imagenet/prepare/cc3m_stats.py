"""The share of CC3M images img2dataset obtained, from the ``NNNNN_stats.json`` files it writes
beside its shards (``count`` urls tried, ``successes`` images written); used by
``sh/prepare_cc3m.sh``. Exit 2 with one ``error:`` line when there is nothing to report."""
from __future__ import annotations

import glob
import json
import os
import sys


def obtained(folder: str) -> tuple[int, int, int]:
    """(stats files, urls tried, images obtained) summed over ``folder/*_stats.json``."""
    files = sorted(glob.glob(os.path.join(folder, "*_stats.json")))
    if not files:
        raise ValueError(f"{folder!r} holds no img2dataset *_stats.json file: run img2dataset into it first")
    tried = got = 0
    for path in files:
        try:
            with open(path) as fh:
                stats = json.load(fh)
            tried, got = tried + int(stats["count"]), got + int(stats["successes"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path!r} is no img2dataset stats file ({type(err).__name__}: {err})") from err
    return len(files), tried, got


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("error: usage: python -m gendd_imagenet.prepare.cc3m_stats <img2dataset output folder>", file=sys.stderr)
        return 2
    try:
        files, tried, got = obtained(argv[0])
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shards = len(glob.glob(os.path.join(argv[0], "*.tar")))
    share = 100.0 * got / tried if tried else 0.0
    print(f"CC3M: {got} of {tried} images obtained ({share:.2f} %), {shards} shards, {files} stats files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
