"""ImageNet as an ImageFolder tree: ``root/train/<class>/<image>`` and ``root/val/<class>/<image>``.

The class count comes from the folders (``len(dataset.classes)``), never a constant.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from PIL import Image
from torchvision.datasets import ImageFolder

from gendd.validation import BadInput

LAYOUT = "root/train/<class>/<image> and root/val/<class>/<image> (val sorted into class folders)"


def image_folder(root: str, split: str, transform: Callable | None = None) -> ImageFolder:
    """``ImageFolder(root/split)`` with an error naming the missing folder and the expected layout."""
    folder = os.path.join(root, split)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"ImageNet folder {folder!r} does not exist; expected the layout {LAYOUT}")
    return ImageFolder(folder, transform=transform, loader=read_image)


class UnreadableImage(BadInput):
    """An image file that PIL cannot decode (not an image, truncated, unreadable)."""


def read_image(path: str) -> Image.Image:
    """The RGB image at ``path``; ``UnreadableImage`` naming the file when it cannot be decoded."""
    try:
        with open(path, "rb") as fh:
            return Image.open(fh).convert("RGB")
    except OSError as err:   # PIL's UnidentifiedImageError and truncated files are OSErrors
        raise UnreadableImage(f"image {path!r} cannot be read ({err.__class__.__name__}: {err}); "
                              f"replace or remove the file and run the same command again") from err


def imagenet_folders(root: str, train_transform: Callable | None,
                     val_transform: Callable | None) -> tuple[ImageFolder, ImageFolder]:
    """(train, val) datasets; their class folders must agree so labels mean the same classes."""
    train, val = image_folder(root, "train", train_transform), image_folder(root, "val", val_transform)
    if train.classes != val.classes:
        only_train = sorted(set(train.classes) - set(val.classes))[:5]
        only_val = sorted(set(val.classes) - set(train.classes))[:5]
        raise ValueError(f"train and val class folders under {root!r} differ (only in train: {only_train}, "
                         f"only in val: {only_val}); sort val into the same class folders as train")
    return train, val
