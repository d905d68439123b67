# A logit-distillation baseline (KD, DKD or IKL-KD) on one CIFAR-100 teacher/student pair.
# Sourced by sh/train_<pair>_<method>.sh after it sets METHOD, TEACHER, STUDENT and the values its
# row changes (docs/launchers.md); each variable below that is unset leaves train_student_kd.py's default:
# TRAIN_EPOCHS LR WD, CE_WEIGHT KD_WEIGHT T (--kd_T) LOSS_WARMUP, ALPHA BETA (--<method>_alpha/_beta),
# T2 (--ikl_T2), GI=1 (--ikl_gi).
# Overrides: any of them (LR=0.01 bash sh/train_...sh), GPUS (default 1) ...
# EXTRA_ARGS (../sh/lib/launch.sh), SAVE_DIR (run folders, default save), TEACHER_DIR (default $SAVE_DIR/models), PATH_T, TRIAL.
source "$(dirname "${BASH_SOURCE[0]}")/_cifar.sh"

TRAIN_EPOCHS="${EPOCHS:-${TRAIN_EPOCHS:-}}"
METHOD_FLAGS=()
optional_flags METHOD_FLAGS TRAIN_EPOCHS=--epochs LR=--learning_rate WD=--weight_decay CE_WEIGHT=--ce_weight \
  KD_WEIGHT=--kd_weight T=--kd_T LOSS_WARMUP=--loss_warmup ALPHA="--${METHOD}_alpha" BETA="--${METHOD}_beta" T2=--ikl_T2
if [[ "${GI:-0}" == 1 ]]; then METHOD_FLAGS+=(--ikl_gi); fi

# shellcheck disable=SC2086
launch train_student_kd.py --distill "$METHOD" --path_t "$PATH_T" --model_s "$STUDENT" --data_root "$DATA_ROOT" \
  --save_dir "$SAVE_DIR" --batch_size "$BATCH" --trial "$TRIAL" "${METHOD_FLAGS[@]}"
