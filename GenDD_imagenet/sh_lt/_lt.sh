# ImageNet-LT plumbing shared by the sh_lt/ launchers: data paths, then one python command.
# Sourced by sh_lt/*.sh after it sets SCRIPT and the array RUN_ARGS.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT EPOCHS EXTRA_ARGS (../sh/lib/launch.sh),
# every variable the launcher sets (LR=0.01 bash sh_lt/...), DATA_ROOT (the ImageNet root the list
# files' paths start from), LT_TRAIN_LIST, LT_VAL_LIST, SAVE_DIR (run folders, default save), TRIAL, IMAGE_SIZE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh
if [[ -n "${BATCH:-}" ]]; then split_batch "$BATCH"; fi   # training launchers only

SAVE_DIR="${SAVE_DIR:-save}"
DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
LT_TRAIN_LIST="${LT_TRAIN_LIST:-./data/ImageNet_LT/ImageNet_LT_train.txt}"
LT_VAL_LIST="${LT_VAL_LIST:-./data/ImageNet_LT/ImageNet_LT_test.txt}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"

launch "$SCRIPT" --data "$DATA_ROOT" --lt_train_list "$LT_TRAIN_LIST" --lt_val_list "$LT_VAL_LIST" \
  --save_dir "$SAVE_DIR" --image_size "$IMAGE_SIZE" --trial "$TRIAL" "${RUN_ARGS[@]}"
