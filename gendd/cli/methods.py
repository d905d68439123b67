"""``python -m gendd.cli.methods [--family F ...] [--labels]``: the registered methods, one per line.

What scripts and reports ask instead of listing methods themselves: ``--family student baseline``
prints the student alone, then every logit baseline (each family's names sorted), so a baseline
registered in ``gendd/distillers/`` is trained and reported without editing them. ``--labels``
prints ``name<TAB>label`` (the label a table shows).
"""
from __future__ import annotations

import argparse

from ..distillers import get, names
from ..distillers.registry import FAMILIES


def methods(families: list[str] | tuple[str, ...] = FAMILIES) -> list[str]:
    """Registered names of ``families``, family by family in the order given, each family's sorted."""
    return [name for family in families for name in names(family)]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m gendd.cli.methods", description=__doc__.split("\n\n")[0])
    p.add_argument("--family", nargs="+", choices=FAMILIES, default=list(FAMILIES),
                   help="the families to list, in this order (default: all)")
    p.add_argument("--labels", action="store_true", help="print name<TAB>label")
    args = p.parse_args(argv)
    for name in methods(args.family):
        print(f"{name}\t{get(name).label}" if args.labels else name)


if __name__ == "__main__":
    main()
