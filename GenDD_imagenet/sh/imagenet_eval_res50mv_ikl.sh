#!/usr/bin/env bash
# Evaluates the ImageNet IKL-KD run resnet50 -> MobileNetV1 (its final.pth, or CKPT): top-1 of the student.
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE).
SCRIPT=main_kd.py
TEACHER_ARCH=resnet50
STUDENT=MobileNetV1
EVAL_ARGS="--distill ikl"

source "$(dirname "${BASH_SOURCE[0]}")/_eval.sh"
