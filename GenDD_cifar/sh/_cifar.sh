# What every CIFAR training launcher shares, sourced first by _gendd_pair.sh and _kd_pair.sh: the
# process layout (../sh/lib/launch.sh; GPUS default 1, the recipes' one GPU), the global BATCH (default 64)
# split over the processes, the data (DATA_ROOT, default ./data, created here: CIFAR-100 is downloaded
# into it on first use), the run folders (SAVE_DIR, default save), the teacher file (PATH_T, default
# TEACHER_DIR/<TEACHER>_vanilla/ckpt_epoch_240.pth, TEACHER_DIR default $SAVE_DIR/models) and TRIAL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GPUS="${GPUS:-1}"   # the recipes' one GPU; BATCH is their global batch
source ../sh/lib/launch.sh
BATCH="${BATCH:-64}"   # the recipes' global batch; a launcher sets another
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data}"
mkdir -p "$DATA_ROOT"   # CIFAR-100 is downloaded into it on first use
SAVE_DIR="${SAVE_DIR:-save}"
TEACHER_DIR="${TEACHER_DIR:-$SAVE_DIR/models}"
TRIAL="${TRIAL:-0}"
PATH_T="${PATH_T:-$TEACHER_DIR/${TEACHER}_vanilla/ckpt_epoch_240.pth}"
