#!/usr/bin/env bash
# Check the ImageNet-LT lists: ImageNet_LT_{train,test,val}.txt exist under LISTS, have 115,846 / 50,000 /
# 20,000 lines, and every image they name exists under the ImageNet root.
#   bash sh/check_imagenet_lt.sh [--root data/imagenet] [--lists data/ImageNet_LT]
# The lists come from the OLTR project (github.com/zhmiao/OpenLongTailRecognition-OLTR, Google Drive link
# in its README; "liuziwei7/large-scale-long-tailed-open-world"); put them in GenDD_imagenet/data/ImageNet_LT/.
# Defaults: DATA_ROOT or GenDD_imagenet/data/imagenet, LISTS or GenDD_imagenet/data/ImageNet_LT.
set -euo pipefail
TREE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(dirname "$TREE")"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
PYTHONPATH="$TREE:$REPO${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m gendd_imagenet.prepare.imagenet_lt \
  --root "${DATA_ROOT:-$TREE/data/imagenet}" --lists "${LISTS:-$TREE/data/ImageNet_LT}" "$@"
