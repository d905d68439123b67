# GenDD on ImageNet for one teacher/student pair: stage 1 (student feature -> teacher classifier),
# then stage 2 (diffusion distillation) from stage 1's result, as the original implementation does.
# Sourced by sh/imagenet_train_<pair>_gendd*.sh after it sets the pair's hyper-parameters.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (SMOOTH=0.8 bash sh/...), SAVE_DIR (run
# folders, default save), PATH_T or TEACHER (teacher weights: torchvision | timm:<name> | file),
# TEACHER_DIR (a folder of <TEACHER_ARCH>.pth teacher files), TRIAL, IMAGE_SIZE (smoke runs),
# GENDD_ARGS (appended to the stage-2 command only, e.g. a small head).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
SAVE_DIR="${SAVE_DIR:-save}"
# the teacher: PATH_T (or TEACHER), else TEACHER_DIR/<TEACHER_ARCH>.pth when TEACHER_DIR is set, else TEACHER_WEIGHTS
TEACHER_DIR="${TEACHER_DIR:-}"
PATH_T="${PATH_T:-${TEACHER:-${TEACHER_DIR:+$TEACHER_DIR/$TEACHER_ARCH.pth}}}"
PATH_T="${PATH_T:-$TEACHER_WEIGHTS}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"
GENDD_ARGS="${GENDD_ARGS:-}"
PAIR=(--arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" --data "$DATA_ROOT" --recipe "$RECIPE"
      --batch_size "$BATCH" --image_size "$IMAGE_SIZE" --trial "$TRIAL" --save_dir "$SAVE_DIR")

launch main_gendd_pretrain.py "${PAIR[@]}" --epochs "${EPOCHS:-$PRE_EPOCHS}" --learning_rate "$PRE_LR" \
  --weight_decay "$PRE_WD" --crop_scale "$PRE_CROP_SCALE"

# shellcheck disable=SC2086
launch main_supervised_gendd.py "${PAIR[@]}" --path_pretrain auto --epochs "${EPOCHS:-$GENDD_EPOCHS}" \
  --learning_rate "$LR" --weight_decay "$WD" --cos --warmup_epochs "$WARMUP" --min_lr "$MIN_LR" \
  --crop_scale "$CROP_SCALE" --smooth "$SMOOTH" --beta "$BETA" --diffusion_batch_mul "$M" --token_dim "$TOKEN_DIM" \
  --cond_drop_prob "$COND_DROP" --width "$WIDTH" --depth "$DEPTH" --beta2_min "$BETA2_MIN" \
  --sampling_steps "$SAMPLING_STEPS" --num_sampling "$TRAIN_NUM_SAMPLING" $GENDD_ARGS
