#!/usr/bin/env bash
# GenDD on ImageNet, resnet34 -> resnet18, 100 epochs: stage 1 then stage 2 from its result (docs/method.md §4).
# 8 GPUs in the reference: global batch 512 = BATCH x GPUS x NNODES.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE, GENDD_ARGS (see sh/_gendd_imagenet.sh).
TEACHER_ARCH=resnet34
TEACHER_WEIGHTS=torchvision
STUDENT=resnet18
RECIPE=none               # none | A1 | A2: RandAugment + Mixup/CutMix (+ label smoothing) with soft targets
BATCH=64                  # per process
PRE_EPOCHS=20             # stage 1: AdamW, cosine, no warm-up
PRE_LR=2e-3
PRE_WD=2e-2
PRE_CROP_SCALE=0.08       # RandomResizedCrop(0.08-1)
GENDD_EPOCHS=100
LR=2e-3                   # stage 2: AdamW, warm-up then half-cosine to MIN_LR
WD=2e-2
WARMUP=10
MIN_LR=1e-6
CROP_SCALE=0.6            # RandomResizedCrop(0.6-1)
SMOOTH=0.9                # lambda: distribution contraction toward the class centre
BETA=1.0                  # feature mixup Beta(beta, beta); 0 disables it
M=10                      # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=64
COND_DROP=0.2
WIDTH=1024                # diffusion head width and depth
DEPTH=3
BETA2_MIN=0.96            # AdamW beta2 rises from this to 0.999 on a cosine
SAMPLING_STEPS=64         # K respaced steps when sampling
TRAIN_NUM_SAMPLING=1      # draws per image in the per-epoch evaluation (the eval launcher uses 5)

source "$(dirname "${BASH_SOURCE[0]}")/_gendd_imagenet.sh"
