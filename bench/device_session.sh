#!/usr/bin/env bash
# One prepared device session (at most 8 minutes on one GPU), everything written under $OUT:
#   1. device.txt        nvidia-smi and torch's view of the machine;
#   2. capture_step.md   eager against captured (--cuda_graph) steps, GenDD and KD, batch 64 and 512:
#                        wall ms/step, GPU kernel ms/step, GPU busy, images/s, and the loss gap;
#   3. tests.txt         tests/unit/test_speed_capture.py (its CUDA graph test runs here);
#   4. recipe.md         one measured epoch of each stage of GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh
#                        with --gpu_data --cuda_graph --amp on a synthetic CIFAR-100 (50000 images) and a
#                        random resnet32x4 teacher, and the whole recipe's time extrapolated from it
#                        (recipe/ holds the runs' logs, gpu_util.csv the GPU utilisation during them).
#
#   OUT=/tmp/out bash bench/device_session.sh
#   DEVICE_SESSION_SMOKE=1 OUT=/tmp/out bash bench/device_session.sh   # CPU check: tiny sizes, minutes
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-bench/device_session_out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ "${DEVICE_SESSION_SMOKE:-0}" == 1 ]]; then
  STEP_ARGS=(--batches 4 --width 64 --steps 2); N_TRAIN=256; N_TEST=64
  RUN_ENV=(EXTRA_ARGS="--device cpu --num_workers 0 --cuda_graph --gpu_data --skip_teacher_eval --batch_size 32"
           GENDD_ARGS="--width 64 --num_sampling 0")
  LIMITS=(600 600 1200)
else
  STEP_ARGS=(--batches 64,512 --width 1024 --steps 20); N_TRAIN=50000; N_TEST=10000
  RUN_ENV=(EXTRA_ARGS="--num_workers 4 --cuda_graph --gpu_data --amp --skip_teacher_eval")
  LIMITS=(150 90 210)
fi
status=0
note() { echo "[device_session] $*" | tee -a "$OUT/session.txt"; }

{ nvidia-smi || echo "no nvidia-smi"; "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'; } > "$OUT/device.txt" 2>&1
note "start $(date -u +%FT%TZ)"

SECONDS=0
timeout "${LIMITS[0]}" "$PYTHON" bench/capture_step.py "${STEP_ARGS[@]}" --out "$OUT/capture_step.md" > "$OUT/capture_step.log" 2>&1 \
  || { note "capture_step.py failed (exit $?), see capture_step.log"; status=1; }
note "capture_step: ${SECONDS}s"

SECONDS=0
OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" timeout "${LIMITS[1]}" "$PYTHON" -m pytest tests/unit/test_speed_capture.py -q -rs > "$OUT/tests.txt" 2>&1 \
  || { note "tests failed (exit $?), see tests.txt"; status=1; }
note "tests: ${SECONDS}s"

SECONDS=0
"$PYTHON" bench/synthetic_cifar.py --root "$WORK" --n_train "$N_TRAIN" --n_test "$N_TEST" > "$OUT/synthetic.txt" 2>&1 \
  || { note "synthetic data failed, see synthetic.txt"; exit 1; }
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -lms 500 > "$OUT/gpu_util.csv" 2>&1 &
  SMI=$!
fi
LAUNCHER=GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh
env "${RUN_ENV[@]}" EPOCHS=1 GPUS=1 DATA_ROOT="$WORK/data" SAVE_DIR="$WORK/save" PATH_T="$WORK/models/resnet32x4_vanilla/ckpt_epoch_240.pth" \
  PYTHON="$PYTHON" timeout "${LIMITS[2]}" bash "$LAUNCHER" > "$OUT/recipe_run.log" 2>&1 \
  || { note "one-epoch recipe run failed (exit $?), see recipe_run.log"; status=1; }
[[ -n "${SMI:-}" ]] && kill "$SMI" 2>/dev/null
note "one epoch of each stage: ${SECONDS}s"
mkdir -p "$OUT/recipe"
(cd "$WORK/save" 2>/dev/null && find . \( -name log.txt -o -name metrics.jsonl -o -name summary.json \) -exec cp --parents {} "$OUT/recipe/" \;)
"$PYTHON" bench/recipe_time.py --save_dir "$WORK/save" --launcher "$LAUNCHER" --out "$OUT/recipe.md" >> "$OUT/session.txt" 2>&1 \
  || { note "recipe_time.py failed, see session.txt"; status=1; }
note "end $(date -u +%FT%TZ), status $status"
exit $status
