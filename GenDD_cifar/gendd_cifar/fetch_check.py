"""Verification step of ``sh/fetch_pretrained_teachers.sh``: a teacher file counts as fetched
only when it loads strictly into its architecture (``teachers.load_teacher``).

    python -m gendd_cifar.fetch_check present ARCH=PATH ...   # files already in place
    python -m gendd_cifar.fetch_check install ARCH=PATH.part ...   # fresh downloads

``present``: a file that loads is reported as skipped; one that does not is moved aside to
``PATH.corrupt`` (so that it is fetched again, and nothing is lost). ``install``: a ``.part``
file that loads is renamed to its final name (the path without ``.part``); one that does not
is removed. Each file gets one line naming its parameter count or its defect; the exit
status is 0 when every file loads, ``EXIT_SOME_BAD`` (3) when some did not (distinct from a
crash of the helper itself). Afterwards, a final path exists only when its file loads.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from torch import nn

from .models import spec
from .teachers import load_teacher

PART_SUFFIX = ".part"
EXIT_SOME_BAD = 3


def parameter_count(model: nn.Module) -> int:
    """Number of learnable scalars (parameters only; BatchNorm running statistics excluded)."""
    return sum(p.numel() for p in model.parameters())


def check_teacher_file(path: str | os.PathLike, arch: str) -> int:
    """Parameter count of the ``arch`` teacher at ``path``; raises when the file does not load."""
    return parameter_count(load_teacher(path, arch))


def _present(arch: str, path: Path) -> bool:
    try:
        count = check_teacher_file(path, arch)
    except Exception as err:  # any defect: unreadable, wrong layout, wrong shapes
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        print(f"[fetch] {arch}: {path} does not load as {arch} ({err}); moved aside to {aside}, "
              f"fetching it again", file=sys.stderr)
        return False
    print(f"[fetch] {arch}: {path} already in place and loads ({count:,} parameters); skipped")
    return True


def _install(arch: str, part: Path) -> bool:
    if part.suffix != PART_SUFFIX:
        raise SystemExit(f"install expects '<file>{PART_SUFFIX}' paths, got {str(part)!r}")
    final = part.with_suffix("")
    try:
        count = check_teacher_file(part, arch)
    except Exception as err:
        part.unlink(missing_ok=True)
        print(f"[fetch] {arch}: the downloaded file is corrupt or not a {arch} teacher ({err}); "
              f"removed it", file=sys.stderr)
        return False
    os.replace(part, final)
    print(f"[fetch] {arch}: verified, loads as {arch} ({count:,} parameters, {count / 1e6:.2f} M) -> {final}")
    return True


def _arch_path(text: str) -> tuple[str, Path]:
    arch, sep, path = text.partition("=")
    if not sep or not arch or not path:
        raise argparse.ArgumentTypeError(f"expected ARCH=PATH, got {text!r}")
    try:
        spec(arch)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err
    return arch, Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gendd_cifar.fetch_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("present", "install"))
    parser.add_argument("files", nargs="+", type=_arch_path, metavar="ARCH=PATH")
    args = parser.parse_args(argv)
    step = _present if args.mode == "present" else _install
    results = [step(arch, path) for arch, path in args.files]
    return 0 if all(results) else EXIT_SOME_BAD


if __name__ == "__main__":
    sys.exit(main())
