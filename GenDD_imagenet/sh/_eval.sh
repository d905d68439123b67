# Evaluation of one trained ImageNet-tree run (its final.pth, or CKPT) on ImageNet val; the
# result goes to <checkpoint folder>/<eval tag>.json and a row of RESULTS_TABLE.
# Sourced by sh/*_eval_*.sh after it sets SCRIPT, TEACHER_ARCH, STUDENT and EVAL_ARGS.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (NUM_SAMPLING=1 bash sh/...), SAVE_DIR
# (the run folders, default save), CKPT (a checkpoint to evaluate instead of the run's final.pth, e.g. one
# of the original implementation), TRIAL, IMAGE_SIZE, RESULTS_TABLE (default results/imagenet.md),
# GENDD_ARGS (GenDD runs: the head flags the run was trained with, when not the default).
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

# shellcheck disable=SC2086
launch "$SCRIPT" --evaluate --arch_t "$TEACHER_ARCH" --model_s "$STUDENT" --data "$DATA_ROOT" \
  --save_dir "$SAVE_DIR" --image_size "$IMAGE_SIZE" --trial "$TRIAL" --resume "$CKPT" --results_table "$RESULTS_TABLE" $EVAL_ARGS ${PRESET:+--sampling_preset "$PRESET"}
