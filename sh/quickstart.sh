#!/usr/bin/env bash
# Quick start on real data, through the CIFAR tree's code path, on CPU or GPU:
# Fashion-MNIST (from the Debian package dataset-fashion-mnist when present, else downloaded
# by torchvision), padded to 32x32 and repeated to 3 channels. It trains (or reuses) a
# teacher, then one student three ways with the same total number of training epochs:
# alone, with KD, and with GenDD (stage 1 + stage 2). It prints the teacher's and the
# students' test accuracies (GenDD: sampled path and linear probe), and writes a table
# (results/quickstart.md), a bar chart (results/quickstart.png) and TensorBoard logs
# (every run folder under $QS_DIR).
# Every setting below is a variable that the environment can override (e.g. EPOCHS=2);
# QS_DIR, DATA_ROOT, DEVICE, WORKERS, GPU_DATA and PY too. Each run is evaluated after its last epoch.
# A second run reuses every finished run (delete $QS_DIR to start over).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

TEACHER="${TEACHER:-resnet20}"                  # teacher architecture (CIFAR zoo)
TEACHER_EPOCHS="${TEACHER_EPOCHS:-4}"
TEACHER_IMAGES="${TEACHER_IMAGES:-30000}"       # the teacher sees more data than the student
STUDENT="${STUDENT:-resnet8}"
STUDENT_IMAGES="${STUDENT_IMAGES:-10000}"       # stratified subset of the 60,000 training images
EPOCHS="${EPOCHS:-6}"                           # every student's total budget
GENDD_STAGE1_EPOCHS="${GENDD_STAGE1_EPOCHS:-2}" # GenDD: stage 1 + stage 2 = EPOCHS
SMOOTH="${SMOOTH:-0.9}"                         # GenDD lambda
M="${M:-8}"                                     # diffusion_batch_mul
WIDTH="${WIDTH:-256}"                           # diffusion head width (the paper's 1024 is slow on 2 CPU cores)
SAMPLER="${SAMPLER:-ancestral}"                 # sampled-path setting of the final evaluation: preset "fast"
SAMPLING_STEPS="${SAMPLING_STEPS:-10}"
NUM_SAMPLING="${NUM_SAMPLING:-5}"
QS_DIR="${QS_DIR:-$ROOT/GenDD_cifar/save/quickstart}"
DATA_ROOT="${DATA_ROOT:-$ROOT/GenDD_cifar/data}"
DEVICE="${DEVICE:-auto}"
WORKERS="${WORKERS:-0}"                         # data-loader workers (none needed with GPU_DATA=1)
GPU_DATA="${GPU_DATA:-1}"                       # 1: training set held on the device, crop/flip there (--gpu_data; 1.8x on 2 CPU cores)
EXTRA_ARGS="${EXTRA_ARGS:-}"                    # appended to every training command
RESULTS="${RESULTS:-$ROOT/results}"             # where the table and the chart go

if [[ -z "${PY:-}" ]]; then      # PY: a Python that already has the requirements and gendd (skips the set-up)
  bash "$ROOT/sh/setup.sh"
  PY="$ROOT/.venv/bin/python"
fi
if [[ ! -d /usr/share/datasets/fashion-mnist && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "[quickstart] installing the Debian package dataset-fashion-mnist"
  (apt-get install -y -q dataset-fashion-mnist || (apt-get update -q && apt-get install -y -q dataset-fashion-mnist)) \
    >/dev/null 2>&1 || echo "[quickstart] apt-get failed: torchvision will download Fashion-MNIST instead"
fi

cd "$ROOT/GenDD_cifar"
COMMON=(--dataset fashion_mnist --data_root "$DATA_ROOT" --save_dir "$QS_DIR" --device "$DEVICE"
        --num_workers "$WORKERS" --log_every 20 $(if ((GPU_DATA)); then echo --gpu_data; fi) $EXTRA_ARGS)
T_PATH="$QS_DIR/models/${TEACHER}_fashion_mnist_trial_0/${TEACHER}_vanilla/ckpt_epoch_${TEACHER_EPOCHS}.pth"
START=$SECONDS

echo "[quickstart] 1/5 teacher $TEACHER ($TEACHER_IMAGES images, $TEACHER_EPOCHS epochs)"
"$PY" train_teacher.py "${COMMON[@]}" --model "$TEACHER" --epochs "$TEACHER_EPOCHS" --eval_every "$TEACHER_EPOCHS" \
  --train_subset "$TEACHER_IMAGES" --learning_rate 0.05 --lr_decay_epochs "$((TEACHER_EPOCHS - 1))"
STUDENT_ARGS=(--model_s "$STUDENT" --train_subset "$STUDENT_IMAGES" --skip_teacher_eval)

echo "[quickstart] 2/5 student $STUDENT alone ($EPOCHS epochs)"
"$PY" train_student_kd.py "${COMMON[@]}" "${STUDENT_ARGS[@]}" --distill vanilla --epochs "$EPOCHS" --eval_every "$EPOCHS" \
  --lr_decay_epochs "$((EPOCHS - 1))"

echo "[quickstart] 3/5 student with KD ($EPOCHS epochs)"
"$PY" train_student_kd.py "${COMMON[@]}" "${STUDENT_ARGS[@]}" --distill kd --path_t "$T_PATH" --epochs "$EPOCHS" --eval_every "$EPOCHS" \
  --lr_decay_epochs "$((EPOCHS - 1))"

echo "[quickstart] 4/5 GenDD stage 1 ($GENDD_STAGE1_EPOCHS epochs)"
"$PY" train_student_pretrain.py "${COMMON[@]}" "${STUDENT_ARGS[@]}" --path_t "$T_PATH" \
  --epochs "$GENDD_STAGE1_EPOCHS" --eval_every "$GENDD_STAGE1_EPOCHS"

S2=$((EPOCHS - GENDD_STAGE1_EPOCHS))
echo "[quickstart] 5/5 GenDD stage 2 ($S2 epochs)"
"$PY" train_student_gendd.py "${COMMON[@]}" "${STUDENT_ARGS[@]}" --path_t "$T_PATH" --path_pretrain auto \
  --epochs "$S2" --warmup_epochs 1 --cos --smooth "$SMOOTH" --diffusion_batch_mul "$M" --width "$WIDTH" \
  --eval_every "$S2" --num_sampling "$NUM_SAMPLING" --sampler "$SAMPLER" --sampling_steps "$SAMPLING_STEPS"

"$PY" -m reports.quickstart --save_dir "$QS_DIR" --out "$RESULTS/quickstart.md" --plot "$RESULTS/quickstart.png"
echo "[quickstart] done in $((SECONDS - START)) s; TensorBoard: $PY -m tensorboard.main --logdir $QS_DIR"
