#!/usr/bin/env bash
# IKL-KD on ImageNet, resnet34 -> resnet18 (docs/method.md §4).
# BATCH is the global batch (the original implementation: 8 GPUs x 64), split over the GPUS x NNODES processes.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE (see sh/_kd_imagenet.sh).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
METHOD=ikl
TEACHER_ARCH=${TEACHER_ARCH:-resnet34}
TEACHER_WEIGHTS=${TEACHER_WEIGHTS:-torchvision}
STUDENT=${STUDENT:-resnet18}
BATCH=${BATCH:-512}                # global: 8 GPUs x 64 in the original implementation
TRAIN_EPOCHS=${TRAIN_EPOCHS:-100}  # SGD momentum 0.9, lr x0.1 at LR_DECAY_EPOCHS
LR=${LR:-0.2}
WD=${WD:-1e-4}
LR_DECAY_EPOCHS=${LR_DECAY_EPOCHS:-30,60,90}
ALPHA=${ALPHA:-1}                  # CE + min(epoch/LOSS_WARMUP, 1)(BETA wMSE + ALPHA SCE), GI class prior on
BETA=${BETA:-0.5}
T=${T:-1}                          # SCE temperature
T2=${T2:-1}                        # temperature of the wMSE weights
LOSS_WARMUP=${LOSS_WARMUP:-1}      # not given for IKL-KD on ImageNet (docs/method.md §4): as DKD
METHOD_ARGS="--ikl_alpha $ALPHA --ikl_beta $BETA --kd_T $T --ikl_T2 $T2 --ikl_gi --loss_warmup $LOSS_WARMUP"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_kd_imagenet.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh/_kd_imagenet.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_kd_imagenet.sh"
