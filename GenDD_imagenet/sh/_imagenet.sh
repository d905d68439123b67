# What every ImageNet-tree training launcher of sh/ shares, sourced first by _gendd_imagenet.sh, _kd_imagenet.sh
# and _cc3m.sh: the process layout (../sh/lib/launch.sh), the global BATCH (default 512: 8 GPUs x 64 in the
# original implementation) split over the processes, DATA_ROOT (default ./data/imagenet: prepare it with
# sh/prepare_imagenet.sh, docs/data.md), the run folders (SAVE_DIR, default save), the teacher (PATH_T or TEACHER,
# else TEACHER_DIR/<TEACHER_ARCH>.pth when TEACHER_DIR is set, else TEACHER_WEIGHTS, default torchvision),
# TRIAL and IMAGE_SIZE.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ../sh/lib/launch.sh
BATCH="${BATCH:-512}"   # the recipes' global batch: 8 GPUs x 64 in the original implementation
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data/imagenet}"
SAVE_DIR="${SAVE_DIR:-save}"
# the teacher: PATH_T (or TEACHER), else TEACHER_DIR/<TEACHER_ARCH>.pth when TEACHER_DIR is set, else TEACHER_WEIGHTS
TEACHER_DIR="${TEACHER_DIR:-}"
PATH_T="${PATH_T:-${TEACHER:-${TEACHER_DIR:+$TEACHER_DIR/$TEACHER_ARCH.pth}}}"
PATH_T="${PATH_T:-${TEACHER_WEIGHTS:-torchvision}}"
TRIAL="${TRIAL:-0}"
IMAGE_SIZE="${IMAGE_SIZE:-224}"
