#!/usr/bin/env bash
# GenDD on ImageNet, BEiTv2-L -> resnet50, A1 recipe, 600 epochs: stage 1 then stage 2 from its result (docs/method.md §4).
# BATCH is the global batch (the original implementation: 8 GPUs x 64), split over the GPUS x NNODES processes.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE, GENDD_ARGS (see sh/_gendd_imagenet.sh).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
TEACHER_ARCH=${TEACHER_ARCH:-beitv2_large_patch16_224}
TEACHER_WEIGHTS=${TEACHER_WEIGHTS:-timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k}
STUDENT=${STUDENT:-resnet50}
RECIPE=${RECIPE:-A1}                         # none | A1 | A2: RandAugment + Mixup/CutMix (+ label smoothing) with soft targets
PRE_WD=${PRE_WD:-1e-2}
GENDD_EPOCHS=${GENDD_EPOCHS:-600}
WD=${WD:-1e-2}
BETA=${BETA:-0}                              # feature mixup Beta(beta, beta); 0 disables it
# WARMUP: not given for this row (docs/method.md §4): the default 10, as resnet34 -> resnet18

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/_gendd_imagenet.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/_gendd_imagenet.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_gendd_imagenet.sh"
