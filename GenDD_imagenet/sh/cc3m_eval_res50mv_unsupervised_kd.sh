#!/usr/bin/env bash
# Evaluates the CC3M label-free KD run resnet50 -> MobileNetV1 (its final.pth, or CKPT) on ImageNet
# val: top-1 of the student's own classifier. Add "--train_fc" to EXTRA_ARGS for the run trained with it.
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE).
SCRIPT=main_unsupervised_kd.py
TEACHER_ARCH=resnet50
STUDENT=MobileNetV1
EVAL_ARGS=""

source "$(dirname "${BASH_SOURCE[0]}")/_eval.sh"
