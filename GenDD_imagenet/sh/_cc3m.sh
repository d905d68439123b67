# Label-free distillation on CC3M (GenDD or KD), evaluated on ImageNet val after every epoch.
# Sourced by sh/cc3m_train_<pair>_unsupervised_<method>.sh after it sets SCRIPT, TEACHER_ARCH, STUDENT
# and the values its row changes (docs/launchers.md); each variable below that is unset leaves the script's
# default: TEACHER_WEIGHTS (torchvision), TRAIN_EPOCHS ITERATIONS_PER_EPOCH LR WD WARMUP; KD: T (--kd_T);
# GenDD: MIN_LR CROP_SCALE SMOOTH BETA M TOKEN_DIM COND_DROP WIDTH DEPTH BETA2_MIN SAMPLING_STEPS TRAIN_NUM_SAMPLING
# (as sh/_gendd_imagenet.sh).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT (ImageNet root, for
# val) EPOCHS EXTRA_ARGS (../sh/lib/launch.sh), CC3M_SHARDS (brace pattern of the img2dataset tar
# shards), every variable the launcher sets (LR=0.1 bash sh/...), SAVE_DIR (run folders, default save),
# PATH_T or TEACHER (torchvision | file), TEACHER_DIR (a folder of <TEACHER_ARCH>.pth teacher files),
# TRIAL, IMAGE_SIZE, GENDD_ARGS (GenDD only, e.g. a small head).
source "$(dirname "${BASH_SOURCE[0]}")/_imagenet.sh"

CC3M_SHARDS="${CC3M_SHARDS:-}"
if [[ -z "$CC3M_SHARDS" ]]; then CC3M_SHARDS='./data/cc3m/{00000..00331}.tar'; fi

TRAIN_EPOCHS="${EPOCHS:-${TRAIN_EPOCHS:-}}"
RUN_FLAGS=()
optional_flags RUN_FLAGS TRAIN_EPOCHS=--epochs ITERATIONS_PER_EPOCH=--iterations_per_epoch LR=--learning_rate \
  WD=--weight_decay WARMUP=--warmup_epochs T=--kd_T MIN_LR=--min_lr CROP_SCALE=--crop_scale SMOOTH=--smooth \
  BETA=--beta M=--diffusion_batch_mul TOKEN_DIM=--token_dim COND_DROP=--cond_drop_prob WIDTH=--width DEPTH=--depth \
  BETA2_MIN=--beta2_min SAMPLING_STEPS=--sampling_steps TRAIN_NUM_SAMPLING=--num_sampling
# shellcheck disable=SC2206
if [[ "$SCRIPT" == *gendd* ]]; then RUN_FLAGS+=(${GENDD_ARGS:-}); fi   # word-split on purpose: extra flags

# shellcheck disable=SC2086
launch "$SCRIPT" --arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" --data "$DATA_ROOT" \
  --save_dir "$SAVE_DIR" --train_shards "$CC3M_SHARDS" --batch_size "$BATCH" --image_size "$IMAGE_SIZE" \
  --trial "$TRIAL" "${RUN_FLAGS[@]}"
