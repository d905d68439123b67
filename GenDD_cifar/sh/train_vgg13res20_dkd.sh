#!/usr/bin/env bash
# DKD on CIFAR-100, vgg13 -> resnet20: CE + min(epoch/20, 1)*(alpha*TCKD + beta*NCKD)*T^2, T = 4.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# DKD beta for this pair is not given in docs/method.md §4: the value of the teacher's nearest listed pair.
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
# BATCH is the recipe's global batch (1 GPU), split over the GPUS x NNODES processes; GPUS defaults to 1.
METHOD=dkd
TEACHER=${TEACHER:-vgg13}
STUDENT=${STUDENT:-resnet20}
BATCH=${BATCH:-64}
LR=${LR:-0.05}
WD=${WD:-5e-4}
TRAIN_EPOCHS=${TRAIN_EPOCHS:-240}  # SGD momentum 0.9, lr x0.1 at epochs 150, 180, 210
ALPHA=${ALPHA:-1}
BETA=${BETA:-6}
METHOD_ARGS="--dkd_alpha $ALPHA --dkd_beta $BETA --kd_T 4 --loss_warmup 20"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_cifar/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_cifar/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_cifar/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_kd_pair.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_cifar/sh/_kd_pair.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_kd_pair.sh"
