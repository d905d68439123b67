# A logit-distillation baseline (KD, DKD or IKL-KD) on ImageNet for one teacher/student pair.
# Sourced by sh/imagenet_train_<pair>_<method>.sh after it sets METHOD, TEACHER_ARCH, STUDENT and the
# values its row changes (docs/launchers.md); each variable below that is unset leaves main_kd.py's default:
# TEACHER_WEIGHTS (torchvision), TRAIN_EPOCHS LR WD LR_DECAY_EPOCHS, CE_WEIGHT KD_WEIGHT T (--kd_T) LOSS_WARMUP,
# ALPHA BETA (--<method>_alpha/_beta), T2 (--ikl_T2), GI=1 (--ikl_gi).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (../sh/lib/launch.sh), every variable the launcher sets (LR=0.1 bash sh/...), SAVE_DIR (run folders,
# default save), PATH_T or TEACHER (torchvision | file), TEACHER_DIR (a folder of <TEACHER_ARCH>.pth
# teacher files), TRIAL, IMAGE_SIZE.
source "$(dirname "${BASH_SOURCE[0]}")/_imagenet.sh"

TRAIN_EPOCHS="${EPOCHS:-${TRAIN_EPOCHS:-}}"
METHOD_FLAGS=()
optional_flags METHOD_FLAGS TRAIN_EPOCHS=--epochs LR=--learning_rate WD=--weight_decay LR_DECAY_EPOCHS=--lr_decay_epochs \
  CE_WEIGHT=--ce_weight KD_WEIGHT=--kd_weight T=--kd_T LOSS_WARMUP=--loss_warmup ALPHA="--${METHOD}_alpha" \
  BETA="--${METHOD}_beta" T2=--ikl_T2
if [[ "${GI:-0}" == 1 ]]; then METHOD_FLAGS+=(--ikl_gi); fi

# shellcheck disable=SC2086
launch main_kd.py --distill "$METHOD" --arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" \
  --data "$DATA_ROOT" --save_dir "$SAVE_DIR" --batch_size "$BATCH" --image_size "$IMAGE_SIZE" --trial "$TRIAL" \
  "${METHOD_FLAGS[@]}"
