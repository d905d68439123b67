#!/usr/bin/env bash
# IKL-KD on CIFAR-100, resnet32x4 -> wrn_16_2: CE + min(epoch/20, 1)*(beta*wMSE + alpha*SCE), T = 4.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# IKL (alpha, beta) for this pair is not given in docs/method.md §4: the default (1, 8).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
# BATCH is the recipe's global batch (1 GPU), split over the GPUS x NNODES processes; GPUS defaults to 1.
METHOD=ikl
TEACHER=${TEACHER:-resnet32x4}
STUDENT=${STUDENT:-wrn_16_2}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_cifar,}/sh; do [[ -f $SH_DIR/_kd_pair.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_cifar/sh/_kd_pair.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_kd_pair.sh"
