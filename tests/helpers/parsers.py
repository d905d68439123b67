"""Command-line parsers the tests build from the scripts' own flag functions."""
import argparse

from gendd.cli.gendd import add_gendd_args


def gendd_parser() -> argparse.ArgumentParser:
    """A parser holding exactly the GenDD head, sampling and evaluation flags (``add_gendd_args``)."""
    p = argparse.ArgumentParser()
    add_gendd_args(p)
    return p
