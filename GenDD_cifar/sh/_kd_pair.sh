# A logit-distillation baseline (KD, DKD or IKL-KD) on one CIFAR-100 teacher/student pair.
# Sourced by sh/train_<pair>_<method>.sh after it sets METHOD, the pair and its hyper-parameters.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh

DATA_ROOT="${DATA_ROOT:-./data}"
TRIAL="${TRIAL:-0}"
PATH_T="${PATH_T:-save/models/${TEACHER}_vanilla/ckpt_epoch_240.pth}"

launch train_student_kd.py --distill "$METHOD" --path_t "$PATH_T" --model_s "$STUDENT" --data_root "$DATA_ROOT" \
  --epochs "${EPOCHS:-$TRAIN_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD" --batch_size "$BATCH" \
  --trial "$TRIAL" ${METHOD_ARGS}
