"""Command-line parsers the tests build from the scripts' own flag functions."""
import argparse

from gendd.cli.gendd import add_gendd_args
from gendd_imagenet.gendd_script import add_imagenet_gendd_args


def gendd_parser() -> argparse.ArgumentParser:
    """A parser holding exactly the GenDD head, sampling and evaluation flags (``add_gendd_args``)."""
    p = argparse.ArgumentParser()
    add_gendd_args(p)
    return p


def imagenet_gendd_parser() -> argparse.ArgumentParser:
    """The ImageNet GenDD scripts' head, sampling and evaluation flags, with the ImageNet defaults
    (``add_imagenet_gendd_args``: K = 64)."""
    p = argparse.ArgumentParser()
    add_imagenet_gendd_args(p)
    return p
