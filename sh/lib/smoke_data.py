"""The tiny data of ``sh/smoke.sh``, written under one folder (random images, random teachers):

* ``cifar/cifar-100-python/``: a 100-class CIFAR-100 in torchvision's on-disk format (128 train,
  32 test images) and ``models/resnet56_vanilla/ckpt_epoch_240.pth``, a random resnet56 teacher
  in the public zoo layout;
* ``imagenet/{train,val}/<class>/``: a 4-class ImageFolder tree of 40 px JPEGs and
  ``resnet34.pth``, a random 4-class torchvision resnet34 teacher;
* ``cc3m/{00000..00001}.tar``: img2dataset-style webdataset shards (jpg/txt/json samples).

    python sh/lib/smoke_data.py FOLDER
"""
import io
import json
import os
import pickle
import sys

import numpy as np
import torch
import webdataset as wds
from PIL import Image

from gendd_cifar.models import build_model as build_cifar
from gendd_cifar.teachers import save_model
from gendd_imagenet.models import build_model as build_imagenet

CLASSES = 4


def fake_cifar100(root: str, n_train: int = 128, n_test: int = 32) -> None:
    rng = np.random.default_rng(0)
    folder = os.path.join(root, "cifar-100-python")
    os.makedirs(folder, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        labels = [i % 100 for i in range(n)]
        entry = {"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8), "fine_labels": labels,
                 "coarse_labels": [label // 5 for label in labels], "filenames": [f"{name}{i}.png" for i in range(n)],
                 "batch_label": name}
        with open(os.path.join(folder, name), "wb") as fh:
            pickle.dump(entry, fh)
    with open(os.path.join(folder, "meta"), "wb") as fh:
        pickle.dump({"fine_label_names": [f"class{i}" for i in range(100)],
                     "coarse_label_names": [f"super{i}" for i in range(20)]}, fh)


def image(c: int, i: int) -> Image.Image:
    return Image.new("RGB", (40, 36), ((60 * c + 17 * i) % 256, (35 * i) % 256, (90 + 40 * c) % 256))


def image_tree(root: str, train_per_class: int = 2, val_per_class: int = 1) -> None:
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        for c in range(CLASSES):
            folder = os.path.join(root, split, f"c{c:04d}")
            os.makedirs(folder, exist_ok=True)
            for i in range(n):
                image(c, i).save(os.path.join(folder, f"{split}_{c}_{i}.JPEG"), quality=90)


def cc3m_shards(folder: str, shards: int = 2, per_shard: int = 4) -> None:
    os.makedirs(folder, exist_ok=True)
    for s in range(shards):
        with wds.TarWriter(os.path.join(folder, f"{s:05d}.tar")) as sink:
            for j in range(per_shard):
                jpg = io.BytesIO()
                image(s, j).save(jpg, "JPEG", quality=90)
                key = f"{s:05d}{j:04d}"
                sink.write({"__key__": key, "jpg": jpg.getvalue(), "txt": f"caption {key}",
                            "json": json.dumps({"key": key, "status": "success"}).encode()})


def main(root: str) -> None:
    torch.manual_seed(0)
    fake_cifar100(os.path.join(root, "cifar"))
    save_model(build_cifar("resnet56", 100).eval(), os.path.join(root, "models", "resnet56_vanilla",
                                                                 "ckpt_epoch_240.pth"), "resnet56")
    image_tree(os.path.join(root, "imagenet"))
    torch.save(build_imagenet("resnet34", CLASSES).state_dict(), os.path.join(root, "resnet34.pth"))
    cc3m_shards(os.path.join(root, "cc3m"))
    print(f"smoke data in {root}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("error: usage: python sh/lib/smoke_data.py FOLDER")
    main(sys.argv[1])
