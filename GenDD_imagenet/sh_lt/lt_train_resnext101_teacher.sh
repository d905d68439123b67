#!/usr/bin/env bash
# The ImageNet-LT teacher: ResNeXt-101 (32x4d) trained with cross-entropy on the LT split (docs/method.md
# §4); reports top-1 overall / many / medium / few shot. Its final.pth,
# save/lt_teacher/resnext101_32x4d_imagenet_lt_trial_<TRIAL>/final.pth, is the students' TEACHER.
# Environment overrides: see sh_lt/_lt.sh (GPUS ... DATA_ROOT LT_TRAIN_LIST LT_VAL_LIST EPOCHS EXTRA_ARGS TRIAL IMAGE_SIZE).
SCRIPT=main_lt.py
ARCH=resnext101_32x4d
BATCH=32                  # per process: 256 on 8 GPUs
TRAIN_EPOCHS=100
LR=0.1                    # SGD momentum 0.9, warm-up then cosine
WD=5e-4
WARMUP=10
CROP_SCALE=0.08           # RandomResizedCrop(0.08-1)
RUN_ARGS=(--arch "$ARCH" --batch_size "$BATCH" --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD"
  --lr_schedule cosine --warmup_epochs "$WARMUP" --crop_scale "$CROP_SCALE")

source "$(dirname "${BASH_SOURCE[0]}")/_lt.sh"
