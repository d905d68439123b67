#!/usr/bin/env bash
# KD on CIFAR-100, resnet32x4 -> resnet8x4: 0.1*CE + 0.9*T^2*KL, T = 4 (docs/method.md §4).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
METHOD=kd
TEACHER=resnet32x4
STUDENT=resnet8x4
BATCH=64
LR=0.05
WD=5e-4
TRAIN_EPOCHS=240        # SGD momentum 0.9, lr x0.1 at epochs 150, 180, 210
METHOD_ARGS="--ce_weight 0.1 --kd_weight 0.9 --kd_T 4"

source "$(dirname "${BASH_SOURCE[0]}")/_kd_pair.sh"
