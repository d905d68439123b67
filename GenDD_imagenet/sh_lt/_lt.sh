# ImageNet-LT plumbing shared by the sh_lt/ launchers: data paths, then one python command.
# Sourced by sh_lt/*.sh after it sets SCRIPT, the model (ARCH for the teacher; TEACHER_ARCH and STUDENT for a
# student), BATCH (training) or RUN_ARGS=(--evaluate) (evaluation), and the values its row changes
# (docs/launchers.md); each variable below that is unset leaves the script's default (main_lt.py, main_gendd_lt.py):
# TRAIN_EPOCHS LR WD WARMUP MIN_LR CROP_SCALE; GenDD: SMOOTH BETA M TOKEN_DIM COND_DROP WIDTH DEPTH BETA2_MIN
# SAMPLING_STEPS TRAIN_NUM_SAMPLING. A student's teacher: PATH_T or TEACHER (file), default its run's final.pth
# under TEACHER_DIR (default $SAVE_DIR/lt_teacher). Evaluation: CKPT, RESULTS_TABLE (default results/imagenet.md),
# GenDD: NUM_SAMPLING (default 5), SAMPLING_STEPS, CFG_SCALE; the model comes from the run's config.yaml.
# GENDD_ARGS is appended (GenDD only, e.g. a small head).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT EPOCHS EXTRA_ARGS (../sh/lib/launch.sh),
# every variable the launcher sets (LR=0.01 bash sh_lt/...), DATA_ROOT (the ImageNet root the list
# files' paths start from), LT_TRAIN_LIST, LT_VAL_LIST, SAVE_DIR (run folders, default save), TRIAL, IMAGE_SIZE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh
if [[ -n "${BATCH:-}" ]]; then split_batch "$BATCH"; fi   # training launchers only
[[ -v RUN_ARGS ]] || RUN_ARGS=()   # a training launcher sets none

SAVE_DIR="${SAVE_DIR:-save}"
DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
LT_TRAIN_LIST="${LT_TRAIN_LIST:-./data/ImageNet_LT/ImageNet_LT_train.txt}"
LT_VAL_LIST="${LT_VAL_LIST:-./data/ImageNet_LT/ImageNet_LT_test.txt}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"

if [[ "${RUN_ARGS[*]}" == --evaluate ]]; then
  RUN_ARGS+=(--resume "${CKPT:-}" --results_table "${RESULTS_TABLE:-results/imagenet.md}")
  if [[ "$SCRIPT" == *gendd* ]]; then RUN_ARGS+=(--num_sampling "${NUM_SAMPLING:-5}"); fi
  optional_flags RUN_ARGS CFG_SCALE=--cfg_scale
elif [[ -n "${TEACHER_ARCH:-}" ]]; then   # a student: its teacher is the LT teacher run's final.pth
  TEACHER_DIR="${TEACHER_DIR:-$SAVE_DIR/lt_teacher}"
  PATH_T="${PATH_T:-${TEACHER:-$TEACHER_DIR/${TEACHER_ARCH}_imagenet_lt_trial_$TRIAL/final.pth}}"
fi
TRAIN_EPOCHS="${EPOCHS:-${TRAIN_EPOCHS:-}}"
optional_flags RUN_ARGS ARCH=--arch TEACHER_ARCH=--arch_t PATH_T=--path_t STUDENT=--model_s BATCH=--batch_size \
  TRAIN_EPOCHS=--epochs LR=--learning_rate WD=--weight_decay WARMUP=--warmup_epochs MIN_LR=--min_lr \
  CROP_SCALE=--crop_scale SMOOTH=--smooth BETA=--beta M=--diffusion_batch_mul TOKEN_DIM=--token_dim \
  COND_DROP=--cond_drop_prob WIDTH=--width DEPTH=--depth BETA2_MIN=--beta2_min SAMPLING_STEPS=--sampling_steps \
  TRAIN_NUM_SAMPLING=--num_sampling
# shellcheck disable=SC2206
if [[ "$SCRIPT" == *gendd* ]]; then RUN_ARGS+=(${GENDD_ARGS:-}); fi   # word-split on purpose: extra flags

launch "$SCRIPT" --data "$DATA_ROOT" --lt_train_list "$LT_TRAIN_LIST" --lt_val_list "$LT_VAL_LIST" \
  --save_dir "$SAVE_DIR" --image_size "$IMAGE_SIZE" --trial "$TRIAL" "${RUN_ARGS[@]}"
