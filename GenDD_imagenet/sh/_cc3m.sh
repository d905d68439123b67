# Label-free distillation on CC3M (GenDD or KD), evaluated on ImageNet val after every epoch.
# Sourced by sh/cc3m_train_<pair>_unsupervised_<method>.sh after it sets SCRIPT, the pair,
# the optimisation variables and METHOD_ARGS.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT (ImageNet root, for
# val) EPOCHS EXTRA_ARGS (../sh/lib/launch.sh), CC3M_SHARDS (brace pattern of the img2dataset tar
# shards), every variable the launcher sets (LR=0.1 bash sh/...), SAVE_DIR (run folders, default save),
# PATH_T or TEACHER (torchvision | file), TEACHER_DIR (a folder of <TEACHER_ARCH>.pth teacher files),
# TRIAL, IMAGE_SIZE, GENDD_ARGS (GenDD only, e.g. a small head).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
CC3M_SHARDS="${CC3M_SHARDS:-}"
if [[ -z "$CC3M_SHARDS" ]]; then CC3M_SHARDS='./data/cc3m/{00000..00331}.tar'; fi
SAVE_DIR="${SAVE_DIR:-save}"
# the teacher: PATH_T (or TEACHER), else TEACHER_DIR/<TEACHER_ARCH>.pth when TEACHER_DIR is set, else TEACHER_WEIGHTS
TEACHER_DIR="${TEACHER_DIR:-}"
PATH_T="${PATH_T:-${TEACHER:-${TEACHER_DIR:+$TEACHER_DIR/$TEACHER_ARCH.pth}}}"
PATH_T="${PATH_T:-$TEACHER_WEIGHTS}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"

# shellcheck disable=SC2086
launch "$SCRIPT" --arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" --data "$DATA_ROOT" \
  --save_dir "$SAVE_DIR" --train_shards "$CC3M_SHARDS" --iterations_per_epoch "$ITERATIONS_PER_EPOCH" --batch_size "$BATCH" \
  --image_size "$IMAGE_SIZE" --trial "$TRIAL" --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" \
  --weight_decay "$WD" --warmup_epochs "$WARMUP" $METHOD_ARGS
