#!/usr/bin/env bash
# GenDD on CIFAR-100, wrn_40_2 -> wrn_40_1: stage 1 then stage 2 from its result (docs/method.md §4).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (LR=0.01 bash <this file>).
# BATCH is the recipe's global batch (1 GPU), split over the GPUS x NNODES processes; GPUS defaults to 1.
TEACHER=${TEACHER:-wrn_40_2}
STUDENT=${STUDENT:-wrn_40_1}
SMOOTH=${SMOOTH:-0.8}                        # lambda: distribution contraction toward the class centre

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_cifar,}/sh; do [[ -f $SH_DIR/_gendd_pair.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_cifar/sh/_gendd_pair.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_gendd_pair.sh"
