#!/usr/bin/env bash
# IKL-KD on ImageNet, resnet34 -> resnet18 (docs/method.md §4).
# 8 GPUs in the reference: global batch 512 = BATCH x GPUS x NNODES.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE (see sh/_kd_imagenet.sh).
METHOD=ikl
TEACHER_ARCH=resnet34
TEACHER_WEIGHTS=torchvision
STUDENT=resnet18
BATCH=64                  # per process
TRAIN_EPOCHS=100          # SGD momentum 0.9, lr x0.1 at LR_DECAY_EPOCHS
LR=0.2
WD=1e-4
LR_DECAY_EPOCHS=30,60,90
ALPHA=1                   # CE + min(epoch/LOSS_WARMUP, 1)(BETA wMSE + ALPHA SCE), GI class prior on
BETA=0.5
T=1                       # SCE temperature
T2=1                      # temperature of the wMSE weights
LOSS_WARMUP=1             # not given for IKL-KD on ImageNet (docs/method.md §4): as DKD
METHOD_ARGS="--ikl_alpha $ALPHA --ikl_beta $BETA --kd_T $T --ikl_T2 $T2 --ikl_gi --loss_warmup $LOSS_WARMUP"

source "$(dirname "${BASH_SOURCE[0]}")/_kd_imagenet.sh"
