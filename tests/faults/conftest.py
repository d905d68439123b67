"""Fixtures shared by the fault tests (the fake CIFAR ``world`` comes from tests/conftest.py)."""
import pytest

from helpers.imagenet_smoke import tiny_imagenet


@pytest.fixture(scope="module")
def imagenet_world(tmp_path_factory):
    """A tiny ImageNet-tree world made once per test module (``helpers.imagenet_smoke.tiny_imagenet``):
    <imagenet_world>/data (4 classes of 32 px) and a 4-class MobileNetV1 teacher at <imagenet_world>/teacher.pth."""
    return tiny_imagenet(tmp_path_factory.mktemp("imagenet_world"))
