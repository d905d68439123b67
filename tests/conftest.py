"""Shared test set-up: CPU only, deterministic, small thread pools, the repository's trees and
the shared test helpers (``tests/helpers``, imported as ``helpers.<module>``) importable.

Tests are grouped by what they cover: ``unit/`` (one module or piece at a time), ``faults/``
(bad input, kills, pre-emption, non-finite losses, distributed failures), ``launchers/`` (the
shell launchers of both trees) and ``commands/`` (the README's real-data and benchmark commands).
Fixtures more than one module uses are defined here (or in a folder's conftest.py), once."""
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


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A fake CIFAR-100 world made once per test module: <world>/data (48 train, 16 test images) and
    a resnet8 teacher at <world>/models/resnet8_vanilla/ckpt_epoch_240.pth (``helpers.fault_tools.make_world``)."""
    from helpers.fault_tools import make_world
    return make_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def one_thread():
    """One torch thread for each test that asks (``pytestmark = pytest.mark.usefixtures("one_thread")``):
    tiny CPU passes gain nothing from a second thread, and OpenMP threads spinning on a busy 2-core
    machine make them many times slower. The module's own fixtures keep the thread count they had."""
    from helpers.threads import torch_threads
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def one_thread_per_module():
    """``one_thread`` held for a whole module: its module-scoped fixtures run on one thread too."""
    from helpers.threads import torch_threads
    with torch_threads(1):
        yield
