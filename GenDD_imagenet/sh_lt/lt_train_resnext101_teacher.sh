#!/usr/bin/env bash
# The ImageNet-LT teacher: ResNeXt-101 (32x4d) trained with cross-entropy on the LT split (docs/method.md
# §4); reports top-1 overall / many / medium / few shot. Its final.pth,
# save/lt_teacher/resnext101_32x4d_imagenet_lt_trial_<TRIAL>/final.pth, is the students' TEACHER.
# Environment overrides: see sh_lt/_lt.sh (GPUS ... DATA_ROOT LT_TRAIN_LIST LT_VAL_LIST EPOCHS EXTRA_ARGS TRIAL IMAGE_SIZE).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
SCRIPT=main_lt.py
ARCH=${ARCH:-resnext101_32x4d}
BATCH=${BATCH:-256}             # global: 8 GPUs x 32 in the original implementation

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh_lt; do [[ -f $SH_DIR/_lt.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh_lt/_lt.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_lt.sh"
