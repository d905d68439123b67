#!/usr/bin/env bash
# One prepared device session: at most 8 minutes on one GPU, each part under its own time limit,
# at most 8 files written under $OUT, a short table printed last (bench/README.md explains every figure).
#   (a) tests.txt        the CUDA test lane (pytest -m cuda tests/cuda tests/unit/test_amp.py, 6 processes with
#                        pytest-xdist where installed); a failure, or no test run, stops here
#   (b) steps.json       eager, captured (--cuda_graph) and compiled steps, GenDD and KD, batch 64 and 512
#                        (bench/capture_step.py), with the captured/compiled-vs-eager loss gaps
#   (c) eval_cost.json   one evaluation on 10,000 images at each setting (probe, fast preset, the original
#                        implementation's per-epoch setting, the paper's setting) and the stage-2 evaluation
#                        minutes of each plan (bench/eval_cost.py)
#   (d) recipe.json      one measured epoch of each stage of GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh with
#                        --gpu_data --cuda_graph --amp and its default evaluations, on a synthetic CIFAR-100
#                        (50,000 + 10,000 images) with a random teacher; the whole recipe extrapolated
#                        (bench/recipe_time.py)
#   (e) original.json    the original implementation's step measured the same way (bench/original_step.py,
#                        from .orig/: bash bench/prepare_original.sh first, and carry .orig to the machine)
#   device.txt, session.txt (what ran, how long, the parts' output tails), summary.md (the tables)
#
#   OUT=/tmp/out bash bench/device_session.sh
#   DEVICE_SESSION_SMOKE=1 OUT=/tmp/out bash bench/device_session.sh   # the CPU: tiny sizes, a few minutes
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-bench/device_session_out}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON="$PWD/.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHONPATH="$PWD:$PWD/GenDD_cifar:$PWD/GenDD_imagenet${PYTHONPATH:+:$PYTHONPATH}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SMOKE="${DEVICE_SESSION_SMOKE:-0}"

if [[ "$SMOKE" == 1 ]]; then
  STEP_ARGS=(--batches 2 --width 32 --steps 1 --warmup 1 --gap_steps 1 --compile_backend aot_eager --device cpu)
  EVAL_ARGS=(--images 8 --width 32 --device cpu)
  ORIG_ARGS=(--batches 2 --width 32 --repeats 2 --steps 1 --device cpu)
  N_TRAIN=64; N_TEST=32
  RUN_ENV=(EXTRA_ARGS="--device cpu --num_workers 0 --cuda_graph --gpu_data --skip_teacher_eval --batch_size 32"
           GENDD_ARGS="--width 32 --diffusion_batch_mul 2 --final_sampling fast")
  LIMIT_TESTS=120; LIMIT_STEPS=300; LIMIT_EVAL=200; LIMIT_DATA=120; LIMIT_RECIPE=400; LIMIT_ORIG=120
else
  STEP_ARGS=(--batches 64,512 --width 1024 --steps 20)
  EVAL_ARGS=(--images 10000 --width 1024)
  ORIG_ARGS=(--batches 64,512 --width 1024 --repeats 30 --steps 10)
  N_TRAIN=50000; N_TEST=10000
  RUN_ENV=(EXTRA_ARGS="--num_workers 4 --cuda_graph --gpu_data --amp --skip_teacher_eval")
  LIMIT_TESTS=70; LIMIT_STEPS=150; LIMIT_EVAL=60; LIMIT_DATA=25; LIMIT_RECIPE=95; LIMIT_ORIG=35  # 450 s in all
fi
status=0
note() { echo "[device_session] $*" | tee -a "$OUT/session.txt"; }
tail_of() { echo "--- $1 (last lines) ---" >> "$OUT/session.txt"; tr '\r' '\n' < "$2" | grep -v '^ *$' | tail -n "${3:-25}" >> "$OUT/session.txt"; }
# part NAME LIMIT CMD...: run CMD under its time limit, output to $WORK/NAME.log; 0 when it succeeded
part() {
  local name="$1" limit="$2" rc=0; shift 2
  SECONDS=0
  timeout --kill-after=10 "$limit" "$@" > "$WORK/$name.log" 2>&1 || rc=$?
  note "$name: exit $rc after ${SECONDS}s (limit ${limit}s)$([[ $rc == 124 ]] && echo ': TIME LIMIT')"
  tail_of "$name" "$WORK/$name.log"
  [[ $rc == 0 ]] || status=1
  return $rc
}

: > "$OUT/session.txt"
{ nvidia-smi || echo "no nvidia-smi"; "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'; } > "$OUT/device.txt" 2>&1
note "start $(date -u +%FT%TZ), smoke=$SMOKE, python $PYTHON"

# (a) the CUDA test lane: stop here when it fails or runs nothing
SECONDS=0
PARALLEL=()  # pytest-xdist, where installed, spreads the lane over 6 processes (one GPU, many CPU cores)
"$PYTHON" -c 'import xdist' 2>/dev/null && [[ "$SMOKE" != 1 ]] && PARALLEL=(-n 6)
timeout --kill-after=10 "$LIMIT_TESTS" "$PYTHON" -m pytest -m cuda -q -rs -p no:cacheprovider "${PARALLEL[@]}" \
  tests/cuda tests/unit/test_amp.py > "$OUT/tests.txt" 2>&1
rc=$?
passed=$(grep -Eo '[0-9]+ passed' "$OUT/tests.txt" | tail -n 1 | grep -Eo '[0-9]+' || echo 0)
note "tests: exit $rc, ${passed:-0} passed, after ${SECONDS}s (limit ${LIMIT_TESTS}s)"
if [[ $rc == 5 ]] || { [[ $rc == 0 ]] && [[ "${passed:-0}" == 0 ]] && [[ "$SMOKE" != 1 ]]; }; then
  note "STOP: the CUDA test lane ran no test (exit $rc): see tests.txt; nothing else was measured"; exit 1
elif [[ $rc != 0 ]]; then
  note "STOP: the CUDA test lane failed (exit $rc): see tests.txt; nothing else was measured"; exit 1
fi
[[ "$SMOKE" == 1 && "${passed:-0}" == 0 ]] && note "smoke: the CUDA tests are skipped on the CPU"

# (b) steps, (c) evaluation cost
part steps "$LIMIT_STEPS" "$PYTHON" bench/capture_step.py "${STEP_ARGS[@]}" --json "$OUT/steps.json"
part eval_cost "$LIMIT_EVAL" "$PYTHON" bench/eval_cost.py "${EVAL_ARGS[@]}" --epochs 240 --sampled_every 10 \
  --json "$OUT/eval_cost.json"

# (d) one epoch of each stage of the recipe, on a synthetic CIFAR-100
part synthetic_data "$LIMIT_DATA" "$PYTHON" bench/synthetic_cifar.py --root "$WORK" --n_train "$N_TRAIN" --n_test "$N_TEST"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 500 > "$WORK/gpu_util.csv" 2>/dev/null &
  SMI=$!
fi
LAUNCHER=GenDD_cifar/sh/train_res32x4_res8x4_gendd.sh
part recipe "$LIMIT_RECIPE" env "${RUN_ENV[@]}" EPOCHS=1 GPUS=1 DATA_ROOT="$WORK/data" SAVE_DIR="$WORK/save" \
  PATH_T="$WORK/models/resnet32x4_vanilla/ckpt_epoch_240.pth" PYTHON="$PYTHON" bash "$LAUNCHER"
if [[ -n "${SMI:-}" ]]; then
  kill "$SMI" 2>/dev/null
  note "GPU utilisation during the recipe run: $(awk '{s+=$1; n++} END {if (n) printf "mean %.0f %% over %d samples", s/n, n}' "$WORK/gpu_util.csv")"
fi
for log in "$WORK"/save/student_*/*/log.txt; do [[ -f "$log" ]] && tail_of "${log#"$WORK"/save/}" "$log" 8; done
costs=(); [[ -s "$OUT/eval_cost.json" ]] && costs=(--eval_costs "$OUT/eval_cost.json")
part recipe_time 15 "$PYTHON" bench/recipe_time.py --save_dir "$WORK/save" --launcher "$LAUNCHER" "${costs[@]}" \
  --json "$OUT/recipe.json"

# (e) the original implementation's step
if [[ -f .orig/GenDD_cifar/models/diff_model.py ]]; then
  part original "$LIMIT_ORIG" "$PYTHON" bench/original_step.py "${ORIG_ARGS[@]}" --json "$OUT/original.json"
else
  note "original: skipped, no .orig/ (run bash bench/prepare_original.sh here and carry .orig)"; status=1
fi

note "end $(date -u +%FT%TZ), status $status"
"$PYTHON" bench/session_summary.py --dir "$OUT" --out "$OUT/summary.md" 2>&1 | tee -a "$OUT/session.txt"
exit $status
