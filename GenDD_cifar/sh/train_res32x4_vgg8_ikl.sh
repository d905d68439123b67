#!/usr/bin/env bash
# IKL-KD on CIFAR-100, resnet32x4 -> vgg8: CE + min(epoch/20, 1)*(beta*wMSE + alpha*SCE), T = 4.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# IKL (alpha, beta) for this pair is not given in docs/method.md §4: the default (1, 8).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
# BATCH is the recipe's global batch (1 GPU), split over the GPUS x NNODES processes; GPUS defaults to 1.
METHOD=ikl
TEACHER=${TEACHER:-resnet32x4}
STUDENT=${STUDENT:-vgg8}
BATCH=${BATCH:-64}
LR=${LR:-0.05}
WD=${WD:-5e-4}
TRAIN_EPOCHS=${TRAIN_EPOCHS:-240}  # SGD momentum 0.9, lr x0.1 at epochs 150, 180, 210
ALPHA=${ALPHA:-1}
BETA=${BETA:-8}
T2=${T2:-100}                      # temperature of the wMSE weights p = softmax(z_t/T2)
GI="${GI:-0}"                      # 1: weights from the per-class prior of the previous epoch
METHOD_ARGS="--ikl_alpha $ALPHA --ikl_beta $BETA --ikl_T2 $T2 --kd_T 4 --loss_warmup 20"
[[ "$GI" == 1 ]] && METHOD_ARGS="$METHOD_ARGS --ikl_gi"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_cifar/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_cifar/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_cifar/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_kd_pair.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_cifar/sh/_kd_pair.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_kd_pair.sh"
