#!/usr/bin/env bash
# Label-free KD on CC3M, resnet50 -> MobileNetV1 (docs/method.md §4): KL(teacher || student) at T = 1,
# no labels; evaluated on ImageNet val with the student's own classifier every epoch.
# The student's fc stays frozen at its random initialisation, as in the original implementation; add
# "--train_fc" to EXTRA_ARGS to train it too.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), CC3M_SHARDS, TEACHER, TRIAL, IMAGE_SIZE (see sh/_cc3m.sh).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
SCRIPT=main_unsupervised_kd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet50}
STUDENT=${STUDENT:-MobileNetV1}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/_cc3m.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/_cc3m.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_cc3m.sh"
