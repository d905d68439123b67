#!/usr/bin/env bash
# Label-free KD on CC3M, resnet50 -> MobileNetV1 (docs/method.md §4): KL(teacher || student) at T = 1,
# no labels; evaluated on ImageNet val with the student's own classifier every epoch.
# The student's fc stays frozen at its random initialisation, as in the reference; add
# "--train_fc" to EXTRA_ARGS to train it too.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), CC3M_SHARDS, TEACHER, TRIAL, IMAGE_SIZE (see sh/_cc3m.sh).
SCRIPT=main_unsupervised_kd.py
TEACHER_ARCH=resnet50
TEACHER_WEIGHTS=torchvision
STUDENT=MobileNetV1
BATCH=64                  # per process
TRAIN_EPOCHS=100
ITERATIONS_PER_EPOCH=5500  # steps per CC3M epoch
LR=0.2                    # SGD momentum 0.9, warm-up then cosine
WD=1e-4
WARMUP=10
KD_T=1                    # KD temperature
METHOD_ARGS="--lr_schedule cosine --kd_T $KD_T"

source "$(dirname "${BASH_SOURCE[0]}")/_cc3m.sh"
