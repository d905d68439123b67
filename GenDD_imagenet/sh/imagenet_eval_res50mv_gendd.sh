#!/usr/bin/env bash
# Evaluates the ImageNet GenDD run resnet50 -> MobileNetV1 (its final.pth, or CKPT): sampled top-1 with
# NUM_SAMPLING draws of SAMPLING_STEPS steps, guidance CFG_SCALE, and the linear-probe top-1.
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE GENDD_ARGS).
SCRIPT=main_supervised_gendd.py
TEACHER_ARCH=resnet50
STUDENT=MobileNetV1
RECIPE=none               # names the run folder, as in the training launcher
NUM_SAMPLING=5            # S: sampled teacher features averaged per image
SAMPLING_STEPS=64         # K respaced reverse-diffusion steps
CFG_SCALE=2.0             # classifier-free guidance scale
WIDTH=1024                # diffusion head of the trained run
DEPTH=3
TOKEN_DIM=64
EVAL_ARGS="--recipe $RECIPE --num_sampling $NUM_SAMPLING --sampling_steps $SAMPLING_STEPS --cfg_scale $CFG_SCALE
  --width $WIDTH --depth $DEPTH --token_dim $TOKEN_DIM ${GENDD_ARGS:-}"

source "$(dirname "${BASH_SOURCE[0]}")/_eval.sh"
