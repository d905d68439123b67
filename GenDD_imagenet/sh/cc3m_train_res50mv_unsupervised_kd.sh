#!/usr/bin/env bash
# Label-free KD on CC3M, resnet50 -> MobileNetV1 (docs/method.md §4): KL(teacher || student) at T = 1,
# no labels; evaluated on ImageNet val with the student's own classifier every epoch.
# The student's fc stays frozen at its random initialisation, as in the original implementation; add
# "--train_fc" to EXTRA_ARGS to train it too.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), CC3M_SHARDS, TEACHER, TRIAL, IMAGE_SIZE (see sh/_cc3m.sh).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_unsupervised_kd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet50}
TEACHER_WEIGHTS=${TEACHER_WEIGHTS:-torchvision}
STUDENT=${STUDENT:-MobileNetV1}
BATCH=${BATCH:-512}                                 # global: 8 GPUs x 64 in the original implementation
TRAIN_EPOCHS=${TRAIN_EPOCHS:-100}
ITERATIONS_PER_EPOCH=${ITERATIONS_PER_EPOCH:-5500}  # steps per CC3M epoch
LR=${LR:-0.2}                                       # SGD momentum 0.9, warm-up then cosine
WD=${WD:-1e-4}
WARMUP=${WARMUP:-10}
KD_T=${KD_T:-1}                                     # KD temperature
METHOD_ARGS="--lr_schedule cosine --kd_T $KD_T"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_cc3m.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh/_cc3m.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_cc3m.sh"
