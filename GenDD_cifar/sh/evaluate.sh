#!/usr/bin/env bash
# Evaluates every finished CIFAR run under save/ and writes results/cifar100.md: GenDD runs
# with NUM_SAMPLING draws per image (sampled and probe accuracy), baselines at their last epoch.
# Overrides: SAVE_DIR DATASET NUM_SAMPLING SAMPLER STEPS CFG OUT (the table; default
# results/<dataset>.md), plus launch.sh's GPUS ... EXTRA_ARGS.
# PRESET=fast: the named cheap sampling setting (gendd/cli/gendd.py SAMPLING_PRESETS, measured in
# bench/accuracy_vs_cost.md); it replaces SAMPLER, STEPS and NUM_SAMPLING.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh

SAVE_DIR="${SAVE_DIR:-save}"
DATASET="${DATASET:-cifar100}"
NUM_SAMPLING="${NUM_SAMPLING:-5}"
SAMPLER="${SAMPLER:-ancestral}"
STEPS="${STEPS:-100}"
CFG="${CFG:-2.0}"
OUT="${OUT:-results/$DATASET.md}"

launch -m reports.evaluate_runs --save_dir "$SAVE_DIR" --dataset "$DATASET" --num_sampling "$NUM_SAMPLING" \
  --sampler "$SAMPLER" --sampling_steps "$STEPS" --cfg_scale "$CFG" --out "$OUT" ${PRESET:+--sampling_preset "$PRESET"}
