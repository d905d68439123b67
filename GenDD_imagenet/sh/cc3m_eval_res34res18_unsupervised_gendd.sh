#!/usr/bin/env bash
# Evaluates the CC3M label-free GenDD run resnet34 -> resnet18 (its final.pth, or CKPT) on ImageNet val:
# sampled top-1 with NUM_SAMPLING draws of SAMPLING_STEPS steps, guidance CFG_SCALE (no probe: without
# labels the student's fc is never trained).
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE GENDD_ARGS).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_unsupervised_gendd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet34}
STUDENT=${STUDENT:-resnet18}
RECIPE=${RECIPE:-none}                # names the run folder, as in the training launcher
NUM_SAMPLING=${NUM_SAMPLING:-5}       # S: sampled teacher features averaged per image
SAMPLING_STEPS=${SAMPLING_STEPS:-64}  # K respaced reverse-diffusion steps
CFG_SCALE=${CFG_SCALE:-2.0}           # classifier-free guidance scale
WIDTH=${WIDTH:-1024}                  # diffusion head of the trained run
DEPTH=${DEPTH:-3}
TOKEN_DIM=${TOKEN_DIM:-64}
EVAL_ARGS="--recipe $RECIPE --num_sampling $NUM_SAMPLING --sampling_steps $SAMPLING_STEPS --cfg_scale $CFG_SCALE
  --width $WIDTH --depth $DEPTH --token_dim $TOKEN_DIM ${GENDD_ARGS:-}"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_eval.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh/_eval.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_eval.sh"
