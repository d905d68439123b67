"""A tiny CIFAR-100 written in torchvision's real on-disk format (``cifar-100-python/``
with the pickled ``train``, ``test`` and ``meta`` files)."""
import os
import pickle

import numpy as np


def write_fake_cifar100(root, n_train: int = 200, n_test: int = 100, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-100-python")
    os.makedirs(folder, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        labels = [i % 100 for i in range(n)]
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        entry = {"data": data, "fine_labels": labels, "coarse_labels": [lab // 5 for lab in labels],
                 "filenames": [f"img{i}.png" for i in range(n)], "batch_label": name}
        with open(os.path.join(folder, name), "wb") as fh:
            pickle.dump(entry, fh)
    meta = {"fine_label_names": [f"class{i}" for i in range(100)],
            "coarse_label_names": [f"super{i}" for i in range(20)]}
    with open(os.path.join(folder, "meta"), "wb") as fh:
        pickle.dump(meta, fh)
    return root
