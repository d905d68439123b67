#!/usr/bin/env bash
# ImageNet as the ImageFolder tree the scripts read: ROOT/train/<WNID>/ and ROOT/val/<WNID>/.
#   bash sh/prepare_imagenet.sh --labels ILSVRC2012_devkit_t12.tar.gz --val_tar ILSVRC2012_img_val.tar \
#        --train_tar ILSVRC2012_img_train.tar [--root data/imagenet]
# The validation images are sorted into class folders by the ground truth of --labels: the devkit
# (folder or .tar.gz; its meta.mat needs scipy), Kaggle's LOC_val_solution.csv, or a val_labels.txt
# of '<image file> <WNID>' lines. Without --val_tar the flat images already in ROOT/val are sorted.
# Then ROOT/val must hold 50,000 images in 1,000 folders (--expect_val, --expect_classes), and ROOT/train
# 1,000 folders. Running it again does nothing and succeeds. ROOT defaults to DATA_ROOT or GenDD_imagenet/data/imagenet.
set -euo pipefail
TREE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(dirname "$TREE")"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
PYTHONPATH="$TREE:$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m gendd_imagenet.prepare.imagenet \
  --root "${DATA_ROOT:-$TREE/data/imagenet}" "$@"
