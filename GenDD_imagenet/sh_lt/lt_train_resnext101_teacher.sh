#!/usr/bin/env bash
# The ImageNet-LT teacher: ResNeXt-101 (32x4d) trained with cross-entropy on the LT split (docs/method.md
# §4); reports top-1 overall / many / medium / few shot. Its final.pth,
# save/lt_teacher/resnext101_32x4d_imagenet_lt_trial_<TRIAL>/final.pth, is the students' TEACHER.
# Environment overrides: see sh_lt/_lt.sh (GPUS ... DATA_ROOT LT_TRAIN_LIST LT_VAL_LIST EPOCHS EXTRA_ARGS TRIAL IMAGE_SIZE).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_lt.py
ARCH=${ARCH:-resnext101_32x4d}
BATCH=${BATCH:-256}             # global: 8 GPUs x 32 in the original implementation
TRAIN_EPOCHS=${TRAIN_EPOCHS:-100}
LR=${LR:-0.1}                   # SGD momentum 0.9, warm-up then cosine
WD=${WD:-5e-4}
WARMUP=${WARMUP:-10}
CROP_SCALE=${CROP_SCALE:-0.08}  # RandomResizedCrop(0.08-1)
RUN_ARGS=(--arch "$ARCH" --batch_size "$BATCH" --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD"
  --lr_schedule cosine --warmup_epochs "$WARMUP" --crop_scale "$CROP_SCALE")

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh_lt" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh_lt" "${SLURM_SUBMIT_DIR:-.}/sh_lt" ""; do [[ -f "$SH_DIR/_lt.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh_lt/_lt.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_lt.sh"
