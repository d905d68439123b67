# A logit-distillation baseline (KD, DKD or IKL-KD) on one CIFAR-100 teacher/student pair.
# Sourced by sh/train_<pair>_<method>.sh after it sets METHOD, the pair and its hyper-parameters.
# Overrides: every variable the launcher sets (SMOOTH=0.8 bash sh/train_...sh), GPUS (default 1) ...
# EXTRA_ARGS (../sh/lib/launch.sh), SAVE_DIR (run folders, default save), TEACHER_DIR (default $SAVE_DIR/models), PATH_T, TRIAL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GPUS="${GPUS:-1}"   # the recipes' one GPU; BATCH is their global batch
source ../sh/lib/launch.sh
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data}"
SAVE_DIR="${SAVE_DIR:-save}"
TEACHER_DIR="${TEACHER_DIR:-$SAVE_DIR/models}"
TRIAL="${TRIAL:-0}"
PATH_T="${PATH_T:-$TEACHER_DIR/${TEACHER}_vanilla/ckpt_epoch_240.pth}"

launch train_student_kd.py --distill "$METHOD" --path_t "$PATH_T" --model_s "$STUDENT" --data_root "$DATA_ROOT" --save_dir "$SAVE_DIR" \
  --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD" --batch_size "$BATCH" \
  --trial "$TRIAL" ${METHOD_ARGS}
