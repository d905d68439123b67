#!/usr/bin/env bash
# Evaluates the ImageNet-LT GenDD run ResNeXt-101 (32x4d) -> resnet18 (its final.pth, or CKPT): sampled and
# probe top-1, overall / many / medium / few shot, beside the checkpoint and as a row of RESULTS_TABLE.
# Environment overrides: see sh_lt/_lt.sh, plus CKPT, RESULTS_TABLE, NUM_SAMPLING (default 5).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (TRIAL=1 bash <this file>).
SCRIPT=main_gendd_lt.py
TEACHER_ARCH=${TEACHER_ARCH:-resnext101_32x4d}
STUDENT=${STUDENT:-resnet18}
RUN_ARGS=(--evaluate)

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh_lt; do [[ -f $SH_DIR/_lt.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh_lt/_lt.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_lt.sh"
