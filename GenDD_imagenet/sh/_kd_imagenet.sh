# A logit-distillation baseline (KD, DKD or IKL-KD) on ImageNet for one teacher/student pair.
# Sourced by sh/imagenet_train_<pair>_<method>.sh after it sets METHOD, the pair and METHOD_ARGS.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (LR=0.1 bash sh/...), SAVE_DIR (run folders,
# default save), PATH_T or TEACHER (torchvision | file), TEACHER_DIR (a folder of <TEACHER_ARCH>.pth
# teacher files), TRIAL, IMAGE_SIZE.
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

# shellcheck disable=SC2086
launch main_kd.py --distill "$METHOD" --arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" \
  --data "$DATA_ROOT" --save_dir "$SAVE_DIR" --batch_size "$BATCH" --image_size "$IMAGE_SIZE" --trial "$TRIAL" \
  --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD" --lr_decay_epochs "$LR_DECAY_EPOCHS" \
  $METHOD_ARGS
