#!/usr/bin/env bash
# Evaluates the ImageNet-LT teacher run (its final.pth, or CKPT): top-1 overall / many / medium / few
# shot, written beside the checkpoint and as a row of RESULTS_TABLE.
# Environment overrides: see sh_lt/_lt.sh, plus CKPT and RESULTS_TABLE (default results/imagenet.md).
SCRIPT=main_lt.py
ARCH=resnext101_32x4d
RUN_ARGS=(--evaluate --arch "$ARCH" --resume "${CKPT:-}" --results_table "${RESULTS_TABLE:-results/imagenet.md}")

source "$(dirname "${BASH_SOURCE[0]}")/_lt.sh"
