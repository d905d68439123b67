#!/usr/bin/env bash
# Evidence on real data (Fashion-MNIST, padded to 32x32), through the CIFAR tree's code path:
# a teacher trained once and cached, then the student alone, every registered logit baseline
# (KD, DKD, IKL-KD: `python -m gendd.cli.methods --family student baseline`) and GenDD (stage 1 + stage 2), each with the same total epochs, data and augmentation, for several
# seeds (FULL_SEEDS, LIMITED_SEEDS), in two regimes: the full training set, and a limited-data
# regime (the students see LIMITED_IMAGES images; the teacher saw all of them).
# GenDD is reported three ways: the sampled path at the paper's sampling setting (100 ancestral
# steps, guidance 2, 5 draws), the sampled path at the fast setting, and the linear probe.
# Writes results/fashion_mnist.md and results/fashion_mnist.png. Every setting below can be
# overridden from the environment (CI runs a shortened version); a second run reuses every
# finished run under $EV_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SEEDS="${SEEDS:-}"                              # sets both lists below when given
FULL_SEEDS="${FULL_SEEDS:-${SEEDS:-0 1}}"       # seeds of the full regime (about 45 min of one core each)
LIMITED_SEEDS="${LIMITED_SEEDS:-${SEEDS:-0 1 2}}"
FULL_EPOCHS="${FULL_EPOCHS:-2}"                 # every method's total epochs, full regime
FULL_IMAGES="${FULL_IMAGES:-0}"                 # 0: all 60,000 (CI's shortened run uses fewer)
LIMITED_IMAGES="${LIMITED_IMAGES:-5000}"
LIMITED_EPOCHS="${LIMITED_EPOCHS:-10}"          # every method's total epochs, limited regime
STAGE1_SHARE="${STAGE1_SHARE:-3}"               # GenDD stage 1 gets 1/STAGE1_SHARE of the epochs
LOSS_WARMUP="${LOSS_WARMUP:-1}"                 # DKD/IKL ramp-up epochs (20 of 240 in the paper)
SMOOTH="${SMOOTH:-0.9}"                         # GenDD lambda
M="${M:-8}"                                     # diffusion_batch_mul
WIDTH="${WIDTH:-256}"                           # diffusion head width
EV_DIR="${EV_DIR:-$ROOT/GenDD_cifar/save/evidence}"
TEACHER_SAVE_DIR="${TEACHER_SAVE_DIR:-$EV_DIR}"
OUT="${OUT:-$ROOT/results/fashion_mnist}"
source "$ROOT/sh/lib/fmnist.sh"     # teacher, devices, sampler settings, the run functions
START=$SECONDS
METHODS="$(cd "$ROOT" && "$PY" -m gendd.cli.methods --family student baseline)"   # the registry's, one per line
train_fmnist_teacher

run_regime() {   # regime epochs subset seed
  local regime=$1 epochs=$2 subset=$3 seed=$4 trial="$1_s$4" method
  for method in $METHODS; do
    train_baseline "$EV_DIR" "$method" "$epochs" "$trial" "$seed" "$subset" "$LOSS_WARMUP"
  done
  (( epochs >= 2 )) || { echo "[evidence] GenDD needs at least 2 epochs (stage 1 + stage 2), got $epochs" >&2; exit 2; }
  local s1=$(( epochs / STAGE1_SHARE )); (( s1 >= 1 )) || s1=1
  train_stage1 "$EV_DIR" "$s1" "$trial" "$seed" "$subset"
  train_stage2 "$EV_DIR" "$((epochs - s1))" "$trial" "$seed" "$subset" "$(stage1_file "$EV_DIR" "$trial")" \
    --warmup_epochs 1 --cos --smooth "$SMOOTH" --diffusion_batch_mul "$M" --width "$WIDTH"
  eval_reference "$EV_DIR" "$trial" "$seed" "$subset" --width "$WIDTH"
}

# longest first (full regime), at most $JOBS at once; each job logs to $EV_DIR/logs/<regime>_s<seed>.log
for seed in $FULL_SEEDS; do pool_launch "$EV_DIR/logs/full_s$seed.log" run_regime full "$FULL_EPOCHS" "$FULL_IMAGES" "$seed"; done
for seed in $LIMITED_SEEDS; do
  pool_launch "$EV_DIR/logs/limited_s$seed.log" run_regime limited "$LIMITED_EPOCHS" "$LIMITED_IMAGES" "$seed"
done
pool_wait || exit 1

cd "$ROOT/GenDD_cifar"
"$PY" -m reports.evidence --save_dir "$EV_DIR" --out "$OUT.md" --plot "$OUT.png" --ref_test_images "$REF_TEST_IMAGES" \
  --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" --total_seconds "$((SECONDS - START))" \
  --jobs "$JOBS" --threads "$THREADS" --device_name "$(device_name)"
echo "[evidence] done in $((SECONDS - START)) s"
