#!/usr/bin/env bash
# GenDD on ImageNet-LT, ResNeXt-101 (32x4d) LT teacher -> resnet18 (docs/method.md §4): lambda 0; reports
# top-1 overall / many / medium / few shot after training. Train the teacher first
# (sh_lt/lt_train_resnext101_teacher.sh), or point TEACHER at its final.pth.
# Environment overrides: see sh_lt/_lt.sh, plus TEACHER and GENDD_ARGS (appended, e.g. a small head).
SCRIPT=main_gendd_lt.py
TEACHER_ARCH=resnext101_32x4d
TEACHER="${TEACHER:-save/lt_teacher/resnext101_32x4d_imagenet_lt_trial_${TRIAL:-0}/final.pth}"
STUDENT=resnet18
BATCH=64                  # per process
TRAIN_EPOCHS=100
LR=2e-3                   # AdamW, warm-up then half-cosine to MIN_LR
WD=0.2
WARMUP=20
MIN_LR=1e-6
CROP_SCALE=0.6            # RandomResizedCrop(0.6-1)
SMOOTH=0                  # lambda: no contraction toward the class centres
BETA=1.0                  # feature mixup Beta(beta, beta); 0 disables it
M=10                      # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=64
COND_DROP=0.2
WIDTH=1024                # diffusion head width and depth
DEPTH=3
BETA2_MIN=0.96            # AdamW beta2 rises from this to 0.999 on a cosine
SAMPLING_STEPS=64         # K respaced steps when sampling
TRAIN_NUM_SAMPLING=1      # draws per image in the per-epoch evaluation (the eval launcher uses 5)
RUN_ARGS=(--arch_t "$TEACHER_ARCH" --path_t "$TEACHER" --model_s "$STUDENT" --batch_size "$BATCH" --epochs "${EPOCHS:-$TRAIN_EPOCHS}"
  --learning_rate "$LR" --weight_decay "$WD" --cos --warmup_epochs "$WARMUP" --min_lr "$MIN_LR" --crop_scale "$CROP_SCALE"
  --smooth "$SMOOTH" --beta "$BETA" --diffusion_batch_mul "$M" --token_dim "$TOKEN_DIM" --cond_drop_prob "$COND_DROP"
  --width "$WIDTH" --depth "$DEPTH" --beta2_min "$BETA2_MIN" --sampling_steps "$SAMPLING_STEPS"
  --num_sampling "$TRAIN_NUM_SAMPLING")
# shellcheck disable=SC2206
RUN_ARGS+=(${GENDD_ARGS:-})   # word-split on purpose: extra flags

source "$(dirname "${BASH_SOURCE[0]}")/_lt.sh"
