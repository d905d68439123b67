#!/usr/bin/env bash
# Evaluates the ImageNet DKD run resnet34 -> resnet18 (its final.pth, or CKPT): top-1 of the student.
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_kd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet34}
STUDENT=${STUDENT:-resnet18}
EVAL_ARGS="--distill dkd"

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_eval.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh/_eval.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_eval.sh"
