#!/usr/bin/env bash
# DKD on ImageNet, resnet50 -> MobileNetV1 (docs/method.md §4).
# BATCH is the global batch (the original implementation: 8 GPUs x 64), split over the GPUS x NNODES processes.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE (see sh/_kd_imagenet.sh).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
METHOD=dkd
TEACHER_ARCH=${TEACHER_ARCH:-resnet50}
STUDENT=${STUDENT:-MobileNetV1}
BETA=${BETA:-2.0}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/_kd_imagenet.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/_kd_imagenet.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_kd_imagenet.sh"
