#!/usr/bin/env bash
# One prepared GPU call for `sh/payoff.sh` with the paper's head (width 1024, M 30): the budget
# BUDGET (default 240 epochs) for students on 1,000 and on 5,000 Fashion-MNIST images (IMAGE_SETS),
# seed 0, every run with --cuda_graph, both regimes side by side and JOBS runs of each at once on
# the one GPU, the whole call cut at LIMIT seconds (default 450, under an 8-minute device call).
# The teacher is trained first (once); whatever finished is reported after the cut:
# $OUT/payoff_<images>.md/.png and the run folders under $OUT/runs_<images>/ (logs, metrics and
# summaries; the weights files are deleted at the end so that the folder stays small to copy back).
# On a machine without this package installed, PY=python3 runs it from the source tree; the
# Fashion-MNIST files must be under DATA_ROOT (or in the Debian package's folder).
#
#   OUT=$OUT bash bench/payoff_gpu.sh                   # on the device machine
#   DEVICE=cpu BUDGET=1 IMAGE_SETS="100 200" WIDTH=16 M=2 LIMIT=600 OUT=/tmp/po bash bench/payoff_gpu.sh   # CPU smoke
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:?set OUT to a folder for the runs and tables}"
: "${BUDGET:=240}" "${IMAGE_SETS:=1000 5000}" "${LIMIT:=450}"
export DEVICE="${DEVICE:-cuda}" WIDTH="${WIDTH:-1024}" M="${M:-30}" JOBS="${JOBS:-3}" SEEDS="${SEEDS:-0}"
export BUDGETS="$BUDGET" BASELINES_LAST="$BUDGET" TRACE_BUDGET="" TEACHER_SAVE_DIR="$OUT/teacher"
export DATA_ROOT="${DATA_ROOT:-$ROOT/GenDD_cifar/data}" PY="${PY:-python3}"
export PYTHONPATH="$ROOT:$ROOT/GenDD_cifar${PYTHONPATH:+:$PYTHONPATH}"
[[ "$DEVICE" == cpu ]] || export EXTRA_ARGS="${EXTRA_ARGS:---cuda_graph on}"
mkdir -p "$OUT"
START=$SECONDS
(source "$ROOT/sh/lib/fmnist.sh" && train_fmnist_teacher) > "$OUT/teacher.log" 2>&1 ||
  { echo "[payoff_gpu] the teacher failed, see $OUT/teacher.log" >&2; tail -n 20 "$OUT/teacher.log" >&2; exit 1; }
left=$(( LIMIT - (SECONDS - START) ))
(( left > 0 )) || { echo "[payoff_gpu] the teacher used the whole LIMIT ($LIMIT s): no time left for the students" >&2; exit 1; }
pids=()
for images in $IMAGE_SETS; do
  IMAGES=$images BC_DIR="$OUT/runs_$images" OUT="$OUT/payoff_$images" TEACHER_READY=1 \
    timeout --signal=TERM --kill-after=20 "$left" bash "$ROOT/sh/payoff.sh" > "$OUT/payoff_$images.log" 2>&1 &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid" || echo "[payoff_gpu] a regime ended with $? (124: cut at the limit)"; done
source "$ROOT/sh/lib/fmnist.sh"
for images in $IMAGE_SETS; do        # the table of whatever finished (payoff.sh writes it only when all did)
  (cd "$ROOT/GenDD_cifar" && "$PY" -m reports.payoff --save_dir "$OUT/runs_$images" --teacher_dir "$TEACHER_SAVE_DIR" \
    --out "$OUT/payoff_$images.md" --plot "$OUT/payoff_$images.png" --trace_plot "$OUT/payoff_${images}_trace.png" \
    --ref_test_images "$REF_TEST_IMAGES" --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" \
    --images "$images" --device_name "$(device_name)" --jobs "$JOBS" --total_seconds "$((SECONDS - START))" \
    > /dev/null) || echo "[payoff_gpu] no table for $images images (no run finished)"
done
find "$OUT" -name "*.pth" -delete
echo "[payoff_gpu] done in $((SECONDS - START)) s; tables: $OUT/payoff_*.md"
