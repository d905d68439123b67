#!/usr/bin/env bash
# Several runs side by side on one GPU (a batch-64 CIFAR run leaves most of a large GPU idle):
# every launcher named, once per trial in TRIALS (trials are seeds), at most JOBS at once.
# Each run gets GPUS=1 (one process), CUDA_VISIBLE_DEVICES=$DEVICE, its own MASTER_PORT and
# TRIAL, and logs to $LOG_DIR/<launcher>_trial<T>.log.
#
#   JOBS=4 TRIALS="0 1 2 3" bash sh/side_by_side.sh GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh
#   TRIALS=0 bash sh/side_by_side.sh GenDD_cifar/sh/train_res32x4_res8x4_kd.sh GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh
#
# Environment: JOBS (default: all runs at once), TRIALS (default 0), DEVICE (default 0),
# LOG_DIR (default side_by_side_logs), BASE_PORT (default 29600); on a machine without CUDA
# each run gets OMP_NUM_THREADS = nproc / JOBS unless it is set. Everything else (DATA_ROOT,
# SAVE_DIR, EPOCHS, EXTRA_ARGS such as "--cuda_graph --gpu_data", ...) passes through to the
# launchers. Exit 0 when every run succeeded, 1 naming the runs that failed, 2 on bad input.
set -uo pipefail

if (( $# < 1 )); then
  echo "error: name at least one launcher, e.g. bash sh/side_by_side.sh GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh" >&2
  exit 2
fi
for launcher in "$@"; do
  [[ -f "$launcher" ]] || { echo "error: launcher $launcher not found: give the path of a sh/train_*.sh script" >&2; exit 2; }
done
TRIALS="${TRIALS:-0}"
DEVICE="${DEVICE:-0}"
LOG_DIR="${LOG_DIR:-side_by_side_logs}"
BASE_PORT="${BASE_PORT:-29600}"
runs=()
for launcher in "$@"; do
  for trial in $TRIALS; do runs+=("$trial $launcher"); done
done
JOBS="${JOBS:-${#runs[@]}}"
if ! [[ "$JOBS" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: JOBS must be a positive integer (runs at once), got '$JOBS'" >&2
  exit 2
fi
if [[ -z "${OMP_NUM_THREADS:-}" ]] && ! nvidia-smi -L >/dev/null 2>&1; then
  OMP_NUM_THREADS=$(( $(nproc) / JOBS )); (( OMP_NUM_THREADS >= 1 )) || OMP_NUM_THREADS=1
  export OMP_NUM_THREADS
fi
mkdir -p "$LOG_DIR"

names=()
index=0
for run in "${runs[@]}"; do
  trial="${run%% *}"; launcher="${run#* }"
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  name="$(basename "$launcher" .sh)_trial${trial}"
  rm -f "$LOG_DIR/$name.status"
  echo "[side_by_side] $name: GPU $DEVICE, port $((BASE_PORT + index)), log $LOG_DIR/$name.log"
  ( GPUS=1 CUDA_VISIBLE_DEVICES="$DEVICE" MASTER_PORT=$((BASE_PORT + index)) TRIAL="$trial" \
      bash "$launcher" > "$LOG_DIR/$name.log" 2>&1
    echo $? > "$LOG_DIR/$name.status" ) &
  names+=("$name")
  index=$((index + 1))
done
wait

failed=()
for name in "${names[@]}"; do
  [[ "$(cat "$LOG_DIR/$name.status" 2>/dev/null)" == 0 ]] || failed+=("$name (exit $(cat "$LOG_DIR/$name.status" 2>/dev/null || echo '?'))")
done
if (( ${#failed[@]} )); then
  echo "[side_by_side] failed: ${failed[*]}; see their logs in $LOG_DIR" >&2
  exit 1
fi
echo "[side_by_side] ${#names[@]} run(s) finished; logs in $LOG_DIR"
