"""Shared test set-up: CPU only, deterministic, small thread pools, the repository's trees and
the shared test helpers (``tests/helpers``, imported as ``helpers.<module>``) importable.

Tests are grouped by what they cover: ``unit/`` (one module or piece at a time), ``faults/``
(bad input, kills, pre-emption, non-finite losses, distributed failures), ``launchers/`` (the
shell launchers of both trees) and ``commands/`` (the README's real-data and benchmark commands)."""
import os
import pathlib
import sys

import pytest
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
for tree in (ROOT, ROOT / "GenDD_cifar", ROOT / "GenDD_imagenet", ROOT / "tests"):
    if str(tree) not in sys.path:
        sys.path.insert(0, str(tree))

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
