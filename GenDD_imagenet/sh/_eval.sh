# Evaluation of one trained ImageNet-tree run (its final.pth, or CKPT) on ImageNet val; the
# result goes to <checkpoint folder>/<eval tag>.json and a row of RESULTS_TABLE.
# Sourced by sh/*_eval_*.sh after it sets SCRIPT, TEACHER_ARCH, STUDENT, and METHOD (main_kd.py) or RECIPE
# (when not none): what names the run. The model is rebuilt from the run (its config.yaml), so nothing else
# of the training is restated. GenDD runs: NUM_SAMPLING (default 5, the paper's evaluation), SAMPLING_STEPS,
# CFG_SCALE (default: the script's, 64 and 2.0).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (NUM_SAMPLING=1 bash sh/...), SAVE_DIR
# (the run folders, default save), CKPT (a checkpoint to evaluate instead of the run's final.pth, e.g. one
# of the original implementation), TRIAL, IMAGE_SIZE, RESULTS_TABLE (default results/imagenet.md),
# GENDD_ARGS (GenDD runs: appended, e.g. the head flags of a checkpoint with no config.yaml beside it).
# PRESET=fast (GenDD runs): the named cheap sampling setting (gendd/cli/gendd.py SAMPLING_PRESETS);
# it replaces the launcher's sampler, steps and number of draws.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh

DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
SAVE_DIR="${SAVE_DIR:-save}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"
CKPT="${CKPT:-}"
RESULTS_TABLE="${RESULTS_TABLE:-results/imagenet.md}"

RUN_FLAGS=()
optional_flags RUN_FLAGS METHOD=--distill RECIPE=--recipe SAMPLING_STEPS=--sampling_steps CFG_SCALE=--cfg_scale
if [[ "$SCRIPT" == *_gendd.py ]]; then RUN_FLAGS+=(--num_sampling "${NUM_SAMPLING:-5}"); fi

# shellcheck disable=SC2086
launch "$SCRIPT" --evaluate --arch_t "$TEACHER_ARCH" --model_s "$STUDENT" --data "$DATA_ROOT" --save_dir "$SAVE_DIR" \
  --image_size "$IMAGE_SIZE" --trial "$TRIAL" --resume "$CKPT" --results_table "$RESULTS_TABLE" "${RUN_FLAGS[@]}" \
  ${GENDD_ARGS:-} ${PRESET:+--sampling_preset "$PRESET"}
