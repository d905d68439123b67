#!/usr/bin/env bash
# KD on ImageNet, resnet34 -> resnet18 (docs/method.md §4).
# 8 GPUs in the reference: global batch 512 = BATCH x GPUS x NNODES.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE (see sh/_kd_imagenet.sh).
METHOD=kd
TEACHER_ARCH=resnet34
TEACHER_WEIGHTS=torchvision
STUDENT=resnet18
BATCH=64                  # per process
TRAIN_EPOCHS=100          # SGD momentum 0.9, lr x0.1 at LR_DECAY_EPOCHS
LR=0.2
WD=1e-4
LR_DECAY_EPOCHS=30,60,90
CE_WEIGHT=0.5             # 0.5 CE + 0.5 KL(teacher || student) at temperature T
KD_WEIGHT=0.5
T=1
METHOD_ARGS="--ce_weight $CE_WEIGHT --kd_weight $KD_WEIGHT --kd_T $T"

source "$(dirname "${BASH_SOURCE[0]}")/_kd_imagenet.sh"
