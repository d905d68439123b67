"""ImageNet image transforms: the standard train/eval pair and the timm A1/A2 recipes.

* train: RandomResizedCrop(size, scale=(lo, 1)) + horizontal flip + ToTensor + normalize;
* eval: Resize(round(256/224 · size)) + CenterCrop(size) + ToTensor + normalize
  (Resize 256, CenterCrop 224 at the default size);
* A1 / A2 (docs/method.md §4, BEiT-v2 -> ResNet50): timm's ImageNet train transform with RandAugment
  "rand-m7-n2-mstd0.5", bicubic interpolation, no random erasing; A1 adds ColorJitter 0.4
  (timm turns colour jitter off under RandAugment unless forced, so it is forced).

``size`` is configurable (224 by default; smoke runs use e.g. 32).
"""
from __future__ import annotations

from timm.data.transforms_factory import transforms_imagenet_train
from torchvision import transforms as T

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RAND_AUGMENT = "rand-m7-n2-mstd0.5"
RECIPE_COLOR_JITTER = {"A1": 0.4, "A2": None}


def train_transform(size: int = 224, scale: tuple[float, float] = (0.08, 1.0)) -> T.Compose:
    return T.Compose([
        T.RandomResizedCrop(size, scale=tuple(scale)),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def eval_transform(size: int = 224) -> T.Compose:
    return T.Compose([
        T.Resize(round(size * 256 / 224)),
        T.CenterCrop(size),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def recipe_train_transform(recipe: str, size: int = 224, scale: tuple[float, float] = (0.08, 1.0)) -> T.Compose:
    """The A1 or A2 training transform (the function ``timm.data.create_transform`` delegates to)."""
    if recipe not in RECIPE_COLOR_JITTER:
        raise ValueError(f"unknown augmentation recipe {recipe!r}; choose one of {sorted(RECIPE_COLOR_JITTER)}")
    jitter = RECIPE_COLOR_JITTER[recipe]
    return transforms_imagenet_train(
        size, scale=tuple(scale), hflip=0.5, auto_augment=RAND_AUGMENT, interpolation="bicubic",
        color_jitter=jitter, force_color_jitter=jitter is not None, re_prob=0.0,
        mean=IMAGENET_MEAN, std=IMAGENET_STD)
