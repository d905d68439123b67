#!/usr/bin/env bash
# Evaluates the ImageNet-LT teacher run (its final.pth, or CKPT): top-1 overall / many / medium / few
# shot, written beside the checkpoint and as a row of RESULTS_TABLE.
# Environment overrides: see sh_lt/_lt.sh, plus CKPT and RESULTS_TABLE (default results/imagenet.md).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_lt.py
ARCH=${ARCH:-resnext101_32x4d}
RUN_ARGS=(--evaluate --arch "$ARCH" --resume "${CKPT:-}" --results_table "${RESULTS_TABLE:-results/imagenet.md}")

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh_lt" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh_lt" "${SLURM_SUBMIT_DIR:-.}/sh_lt" ""; do [[ -f "$SH_DIR/_lt.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh_lt/_lt.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_lt.sh"
