#!/usr/bin/env bash
# IKL-KD on CIFAR-100, resnet32x4 -> vgg8: CE + min(epoch/20, 1)*(beta*wMSE + alpha*SCE), T = 4.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# IKL (alpha, beta) for this pair is not given in docs/method.md §4: the default (1, 8).
METHOD=ikl
TEACHER=resnet32x4
STUDENT=vgg8
BATCH=64
LR=0.05
WD=5e-4
TRAIN_EPOCHS=240        # SGD momentum 0.9, lr x0.1 at epochs 150, 180, 210
ALPHA=1
BETA=8
T2=100                  # temperature of the wMSE weights p = softmax(z_t/T2)
GI="${GI:-0}"            # 1: weights from the per-class prior of the previous epoch
METHOD_ARGS="--ikl_alpha $ALPHA --ikl_beta $BETA --ikl_T2 $T2 --kd_T 4 --loss_warmup 20"
[[ "$GI" == 1 ]] && METHOD_ARGS="$METHOD_ARGS --ikl_gi"

source "$(dirname "${BASH_SOURCE[0]}")/_kd_pair.sh"
