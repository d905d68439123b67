"""Data pipelines: ImageNet ImageFolder, ImageNet-LT list files, CC3M webdataset shards,
the train/eval and A1/A2 transforms, and Mixup/CutMix soft targets."""
from .cc3m import CC3MSource, expand_shards
from .imagefolder import image_folder, imagenet_folders
from .imagenet_lt import ImageNetLT, class_counts, read_list, shot_accuracies, shot_groups
from .mixing import RECIPE_MIXING, MixupCutmix
from .transforms import IMAGENET_MEAN, IMAGENET_STD, eval_transform, recipe_train_transform, train_transform

__all__ = ["CC3MSource", "expand_shards", "image_folder", "imagenet_folders", "ImageNetLT", "class_counts",
           "read_list", "shot_accuracies", "shot_groups", "RECIPE_MIXING", "MixupCutmix", "IMAGENET_MEAN",
           "IMAGENET_STD", "eval_transform", "recipe_train_transform", "train_transform"]
