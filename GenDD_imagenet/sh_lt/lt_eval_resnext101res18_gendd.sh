#!/usr/bin/env bash
# Evaluates the ImageNet-LT GenDD run ResNeXt-101 (32x4d) -> resnet18 (its final.pth, or CKPT): sampled and
# probe top-1, overall / many / medium / few shot, beside the checkpoint and as a row of RESULTS_TABLE.
# Environment overrides: see sh_lt/_lt.sh, plus CKPT, RESULTS_TABLE and GENDD_ARGS (the run's head flags).
SCRIPT=main_gendd_lt.py
TEACHER_ARCH=resnext101_32x4d
STUDENT=resnet18
NUM_SAMPLING=5            # S: sampled teacher features averaged per image
SAMPLING_STEPS=64         # K respaced reverse-diffusion steps
CFG_SCALE=2.0             # classifier-free guidance scale
WIDTH=1024                # diffusion head of the trained run
DEPTH=3
TOKEN_DIM=64
RUN_ARGS=(--evaluate --arch_t "$TEACHER_ARCH" --model_s "$STUDENT" --resume "${CKPT:-}"
  --results_table "${RESULTS_TABLE:-results/imagenet.md}" --num_sampling "$NUM_SAMPLING" --sampling_steps "$SAMPLING_STEPS"
  --cfg_scale "$CFG_SCALE" --width "$WIDTH" --depth "$DEPTH" --token_dim "$TOKEN_DIM")
# shellcheck disable=SC2206
RUN_ARGS+=(${GENDD_ARGS:-})   # word-split on purpose: extra flags

source "$(dirname "${BASH_SOURCE[0]}")/_lt.sh"
