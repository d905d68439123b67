#!/usr/bin/env bash
# Label-free GenDD on CC3M, resnet34 -> resnet18 (docs/method.md §4): lambda 0, the targets are the teacher's features;
# the student's fc stays frozen (no labels); evaluated on ImageNet val (sampled path) every epoch.
# 8 GPUs in the reference: 64 images per process.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), CC3M_SHARDS, TEACHER, TRIAL, IMAGE_SIZE, GENDD_ARGS (see sh/_cc3m.sh).
SCRIPT=main_unsupervised_gendd.py
TEACHER_ARCH=resnet34
TEACHER_WEIGHTS=torchvision
STUDENT=resnet18
BATCH=64                  # per process
TRAIN_EPOCHS=100
ITERATIONS_PER_EPOCH=5500  # steps per CC3M epoch
LR=2e-3                   # AdamW, warm-up then half-cosine to MIN_LR
WD=2e-2
WARMUP=10
MIN_LR=1e-6
CROP_SCALE=0.6            # RandomResizedCrop(0.6-1)
SMOOTH=0                  # lambda: no labels, no class centres
BETA=1.0                  # feature mixup Beta(beta, beta); 0 disables it
M=10                      # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=64
COND_DROP=0.2
WIDTH=1024                # diffusion head width and depth
DEPTH=3
BETA2_MIN=0.96            # AdamW beta2 rises from this to 0.999 on a cosine
SAMPLING_STEPS=64         # K respaced steps when sampling
TRAIN_NUM_SAMPLING=1      # draws per image in the per-epoch evaluation (the eval launcher uses 5)
METHOD_ARGS="--cos --min_lr $MIN_LR --crop_scale $CROP_SCALE --smooth $SMOOTH --beta $BETA --diffusion_batch_mul $M
  --token_dim $TOKEN_DIM --cond_drop_prob $COND_DROP --width $WIDTH --depth $DEPTH --beta2_min $BETA2_MIN
  --sampling_steps $SAMPLING_STEPS --num_sampling $TRAIN_NUM_SAMPLING ${GENDD_ARGS:-}"

source "$(dirname "${BASH_SOURCE[0]}")/_cc3m.sh"
