# GenDD on ImageNet for one teacher/student pair: stage 1 (student feature -> teacher classifier),
# then stage 2 (diffusion distillation) from stage 1's result, as the original implementation does.
# Sourced by sh/imagenet_train_<pair>_gendd*.sh after it sets TEACHER_ARCH, STUDENT and the values its row
# changes (docs/launchers.md); each variable below that is unset leaves the script's default (ImageNet defaults:
# main_gendd_pretrain.py, gendd_imagenet/gendd_script.py). Teacher: TEACHER_WEIGHTS (default torchvision).
# Stage 1: PRE_EPOCHS PRE_LR PRE_WD PRE_CROP_SCALE. Stage 2: GENDD_EPOCHS LR WD WARMUP MIN_LR CROP_SCALE SMOOTH
# BETA (feature mixup) M (diffusion_batch_mul) TOKEN_DIM COND_DROP WIDTH DEPTH BETA2_MIN SAMPLING_STEPS
# TRAIN_NUM_SAMPLING (draws per image in the per-epoch evaluation). Both: RECIPE (none | A1 | A2).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (SMOOTH=0.8 bash sh/...), SAVE_DIR (run
# folders, default save), PATH_T or TEACHER (teacher weights: torchvision | timm:<name> | file),
# TEACHER_DIR (a folder of <TEACHER_ARCH>.pth teacher files), TRIAL, IMAGE_SIZE (smoke runs),
# GENDD_ARGS (appended to the stage-2 command only, e.g. a small head).
source "$(dirname "${BASH_SOURCE[0]}")/_imagenet.sh"

GENDD_ARGS="${GENDD_ARGS:-}"
PAIR=(--arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" --data "$DATA_ROOT" --batch_size "$BATCH"
      --image_size "$IMAGE_SIZE" --trial "$TRIAL" --save_dir "$SAVE_DIR")
optional_flags PAIR RECIPE=--recipe
STAGE1_EPOCHS="${EPOCHS:-${PRE_EPOCHS:-}}"
STAGE1=()
optional_flags STAGE1 STAGE1_EPOCHS=--epochs PRE_LR=--learning_rate PRE_WD=--weight_decay PRE_CROP_SCALE=--crop_scale
STAGE2_EPOCHS="${EPOCHS:-${GENDD_EPOCHS:-}}"
STAGE2=()
optional_flags STAGE2 STAGE2_EPOCHS=--epochs LR=--learning_rate WD=--weight_decay WARMUP=--warmup_epochs \
  MIN_LR=--min_lr CROP_SCALE=--crop_scale SMOOTH=--smooth BETA=--beta M=--diffusion_batch_mul TOKEN_DIM=--token_dim \
  COND_DROP=--cond_drop_prob WIDTH=--width DEPTH=--depth BETA2_MIN=--beta2_min SAMPLING_STEPS=--sampling_steps \
  TRAIN_NUM_SAMPLING=--num_sampling

launch main_gendd_pretrain.py "${PAIR[@]}" "${STAGE1[@]}"

# shellcheck disable=SC2086
launch main_supervised_gendd.py "${PAIR[@]}" --path_pretrain auto "${STAGE2[@]}" $GENDD_ARGS
