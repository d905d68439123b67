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

FLAGS=()   # each variable left unset keeps the report's default (save, cifar100, 5 draws of 100 ancestral steps, guidance 2)
optional_flags FLAGS SAVE_DIR=--save_dir DATASET=--dataset NUM_SAMPLING=--num_sampling SAMPLER=--sampler \
  STEPS=--sampling_steps CFG=--cfg_scale OUT=--out PRESET=--sampling_preset
launch -m reports.evaluate_runs "${FLAGS[@]}"
