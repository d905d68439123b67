"""A synthetic CIFAR-100 in torchvision's pickle format (random images, as tests/helpers/fake_cifar.py
writes them) and a teacher file with random weights, for timing the CIFAR recipe where the real
data and teachers are absent (a device session).

    python bench/synthetic_cifar.py --root <folder> [--n_train 50000] [--n_test 10000] [--teacher resnet32x4]

Writes <root>/data/cifar-100-python/ and <root>/models/<teacher>_vanilla/ckpt_epoch_240.pth.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT), str(ROOT / "GenDD_cifar")]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--n_train", type=int, default=50000)
    p.add_argument("--n_test", type=int, default=10000)
    p.add_argument("--teacher", default="resnet32x4")
    args = p.parse_args(argv)
    import torch
    from helpers.fake_cifar import write_fake_cifar100
    from gendd_cifar.models import build_model
    from gendd_cifar.teachers import save_model
    root = Path(args.root)
    write_fake_cifar100(root / "data", n_train=args.n_train, n_test=args.n_test)
    torch.manual_seed(0)
    path = root / "models" / f"{args.teacher}_vanilla" / "ckpt_epoch_240.pth"
    save_model(build_model(args.teacher, 100).eval(), path, args.teacher)
    print(f"wrote {root / 'data'} ({args.n_train} train, {args.n_test} test images) and {path}")


if __name__ == "__main__":
    main()
