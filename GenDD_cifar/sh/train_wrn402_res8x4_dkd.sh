#!/usr/bin/env bash
# DKD on CIFAR-100, wrn_40_2 -> resnet8x4: CE + min(epoch/20, 1)*(alpha*TCKD + beta*NCKD)*T^2, T = 4.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# DKD beta for this pair is not given in docs/method.md §4: the value of the teacher's nearest listed pair.
METHOD=dkd
TEACHER=wrn_40_2
STUDENT=resnet8x4
BATCH=64
LR=0.05
WD=5e-4
TRAIN_EPOCHS=240        # SGD momentum 0.9, lr x0.1 at epochs 150, 180, 210
ALPHA=1
BETA=6
METHOD_ARGS="--dkd_alpha $ALPHA --dkd_beta $BETA --kd_T 4 --loss_warmup 20"

source "$(dirname "${BASH_SOURCE[0]}")/_kd_pair.sh"
