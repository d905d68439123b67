#!/usr/bin/env bash
# One-epoch CPU smoke runs of the README's launchers on tiny random data (sh/lib/smoke_data.py builds it):
#   bash sh/smoke.sh [cifar] [imagenet] [cc3m]        (default: all three; about a minute each on one core)
# cifar:    GenDD_cifar/sh/train_res56_res20_gendd.sh (stage 1 + stage 2) on a fake CIFAR-100, random resnet56 teacher
# imagenet: GenDD_imagenet/sh/imagenet_train_res34res18_gendd.sh on a 4-class ImageFolder tree, random resnet34 teacher
# cc3m:     GenDD_imagenet/sh/cc3m_train_res34res18_unsupervised_gendd.sh on two webdataset shards, 2 iterations
# Everything (data, runs) goes to SMOKE_DIR (default: a new temporary folder); PYTHON as in sh/lib/launch.sh.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHON GPUS="${GPUS:-1}"
PARTS=("$@")
if (( ${#PARTS[@]} == 0 )); then PARTS=(cifar imagenet cc3m); fi
for part in "${PARTS[@]}"; do
  case "$part" in cifar|imagenet|cc3m) ;; *) echo "error: unknown part '$part': choose cifar, imagenet or cc3m" >&2; exit 2;; esac
done
D="${SMOKE_DIR:-$(mktemp -d -t gendd-smoke.XXXXXX)}"
mkdir -p "$D"
D="$(cd "$D" && pwd)"
PYTHONPATH="$REPO:$REPO/GenDD_cifar:$REPO/GenDD_imagenet${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" "$REPO/sh/lib/smoke_data.py" "$D"
CPU="--device cpu --num_workers 0"
HEAD="--width 32 --depth 1 --diffusion_batch_mul 2 --sampling_steps 4"

for part in "${PARTS[@]}"; do
  echo "[smoke] $part"
  case "$part" in
    cifar)
      (cd "$REPO/GenDD_cifar" && EPOCHS=1 DATA_ROOT="$D/cifar" TEACHER_DIR="$D/models" SAVE_DIR="$D/save_cifar" \
        GENDD_ARGS="$HEAD" EXTRA_ARGS="$CPU" bash sh/train_res56_res20_gendd.sh) ;;
    imagenet)
      (cd "$REPO/GenDD_imagenet" && EPOCHS=1 IMAGE_SIZE=32 TEACHER="$D/resnet34.pth" DATA_ROOT="$D/imagenet" \
        GENDD_ARGS="$HEAD" EXTRA_ARGS="$CPU --batch_size 4 --save_dir $D/save_imagenet" \
        bash sh/imagenet_train_res34res18_gendd.sh) ;;
    cc3m)
      (cd "$REPO/GenDD_imagenet" && EPOCHS=1 IMAGE_SIZE=32 TEACHER="$D/resnet34.pth" DATA_ROOT="$D/imagenet" \
        CC3M_SHARDS="$D/cc3m/{00000..00001}.tar" GENDD_ARGS="$HEAD" \
        EXTRA_ARGS="$CPU --batch_size 2 --iterations_per_epoch 2 --save_dir $D/save_cc3m" \
        bash sh/cc3m_train_res34res18_unsupervised_gendd.sh) ;;
  esac
done
echo "[smoke] finished: runs under $D"
