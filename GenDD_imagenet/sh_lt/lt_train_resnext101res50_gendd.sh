#!/usr/bin/env bash
# GenDD on ImageNet-LT, ResNeXt-101 (32x4d) LT teacher -> resnet50 (docs/method.md §4): lambda 0; reports
# top-1 overall / many / medium / few shot after training. Train the teacher first
# (sh_lt/lt_train_resnext101_teacher.sh), or point TEACHER at its final.pth.
# Environment overrides: see sh_lt/_lt.sh (PATH_T or TEACHER: the teacher file; GENDD_ARGS).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
SCRIPT=main_gendd_lt.py
TEACHER_ARCH=${TEACHER_ARCH:-resnext101_32x4d}  # names the teacher run
STUDENT=${STUDENT:-resnet50}
BATCH=${BATCH:-512}                          # global: 8 GPUs x 64 in the original implementation

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh_lt; do [[ -f $SH_DIR/_lt.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh_lt/_lt.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_lt.sh"
