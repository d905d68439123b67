#!/usr/bin/env bash
# Label-free GenDD on CC3M, resnet34 -> resnet18 (docs/method.md §4): lambda 0, the targets are the teacher's features;
# the student's fc stays frozen (no labels); evaluated on ImageNet val (sampled path) every epoch.
# BATCH is the global batch (the original implementation: 8 GPUs x 64), split over the GPUS x NNODES processes.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), CC3M_SHARDS, TEACHER, TRIAL, IMAGE_SIZE, GENDD_ARGS (see sh/_cc3m.sh).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
SCRIPT=main_unsupervised_gendd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet34}
STUDENT=${STUDENT:-resnet18}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/_cc3m.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/_cc3m.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_cc3m.sh"
