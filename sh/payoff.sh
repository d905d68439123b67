#!/usr/bin/env bash
# Does GenDD pay off where distillation matters? Fashion-MNIST with a real teacher-student gap:
# the cached teacher (all 60,000 images, as sh/evidence.sh) and a resnet8 student on IMAGES
# (default 1,000: 100 per class, stratified, seeded) training images, at the paper's schedule
# (BUDGETS, default 30, 100 and 240 epochs) and SEEDS:
#   1. the student alone at every budget and seed first (the teacher-student gap);
#   2. KD, DKD, IKL-KD, and GenDD under the paper protocol (stage 2 = the budget, stage 1 at
#      50/240 of it, warm-up 50/240, step decay at 150/180/210 of 240; sh/lib/budget_runs.sh),
#      GenDD read out by the probe, the sampled path at the fast preset and at the paper's
#      sampling setting;
#   3. at TRACE_BUDGET, seed TRACE_SEED: GenDD evaluated every TRACE_EVERY epochs (sampled
#      top-1, probe, the head's training loss per epoch), and once more with each KNOBS entry
#      (flag=value) changed, the same seed.
# Writes results/payoff.md and results/payoff.png (and the trace plot results/payoff_trace.png),
# with the GPU records under RECORDS (results/records/h200_b100) beside them. A second run reuses
# every finished run under $BC_DIR (a run with summary.json is skipped), so an interrupted run
# continues where it stopped. Every setting takes an environment value (CI runs a shortened one).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

BUDGETS="${BUDGETS:-30 100 240}"
SEEDS="${SEEDS:-0 1}"
IMAGES="${IMAGES:-1000}"
PROTOCOLS="${PROTOCOLS:-paper}"
STAGE1_SHARE="${STAGE1_SHARE:-3}"               # only used by the matched protocol (PROTOCOLS="paper matched")
SMOOTH="${SMOOTH:-0.9}"                         # GenDD lambda
M="${M:-8}"                                     # diffusion_batch_mul
WIDTH="${WIDTH:-256}"                           # diffusion head width
TRACE_BUDGET="${TRACE_BUDGET:-240}"             # "" skips the trace and the knobs
TRACE_SEED="${TRACE_SEED:-0}"
TRACE_EVERY="${TRACE_EVERY:-24}"                # evaluation every this many epochs of stage 2
KNOBS="${KNOBS:-learning_rate=0.0005}"          # one GenDD run (paper protocol, traced) per flag=value
BASELINES_LAST="${BASELINES_LAST:-240}"         # budgets at which only the student alone and KD run (DKD/IKL-KD there: +50 min)
BC_DIR="${BC_DIR:-$ROOT/GenDD_cifar/save/payoff}"
OUT="${OUT:-$ROOT/results/payoff}"
RECORDS="${RECORDS:-$ROOT/results/records/h200_b100}"
source "$ROOT/sh/lib/fmnist.sh"
source "$ROOT/sh/lib/budget_runs.sh"
BASELINE_METHODS="$(cd "$ROOT" && "$PY" -m gendd.cli.methods --family baseline)"   # every registered one
START=$SECONDS
train_fmnist_teacher

alone() {   # budget seed: the student alone
  METHODS=vanilla PROTOCOLS="" run_unit limited "$1" "$2" "$IMAGES"
}

unit() {   # budget seed: the distillers and GenDD at one budget and seed (the traced run at TRACE_BUDGET)
  local budget=$1 seed=$2 methods=$BASELINE_METHODS
  [[ " $BASELINES_LAST " == *" $budget "* ]] && methods="kd"
  METHODS="$methods" PROTOCOLS="" run_unit limited "$budget" "$seed" "$IMAGES"
  local every=$budget; [[ "$budget" == "$TRACE_BUDGET" && "$seed" == "$TRACE_SEED" ]] && every=$TRACE_EVERY
  [[ " $PROTOCOLS " == *" paper "* ]] && run_paper limited "$budget" "$seed" "$IMAGES" "" "$every"
  [[ " $PROTOCOLS " == *" matched "* ]] && run_matched limited "$budget" "$seed" "$IMAGES" "limited_b${budget}_s${seed}" 1
  return 0
}

knob() {   # flag=value: GenDD under the paper protocol at TRACE_BUDGET, TRACE_SEED, traced, with that flag
  run_paper limited "$TRACE_BUDGET" "$TRACE_SEED" "$IMAGES" "_${1//=/}" "$TRACE_EVERY" "--${1%%=*}" "${1#*=}"
}

# 1. the student alone first; 2. the rest budget by budget, smallest first, every seed of a budget
# before the next (an interrupted run has whole cells), the knobs right after the traced run.
# At most $JOBS at once.
budgets=$(printf '%s\n' $BUDGETS | sort -n)
for budget in $budgets; do
  for seed in $SEEDS; do
    pool_launch "$BC_DIR/logs/vanilla_b${budget}_s$seed.log" alone "$budget" "$seed"
  done
done
pool_wait || exit 1
for budget in $budgets; do
  for seed in $SEEDS; do
    pool_launch "$BC_DIR/logs/b${budget}_s$seed.log" unit "$budget" "$seed"
    if [[ "$budget" == "$TRACE_BUDGET" && "$seed" == "$TRACE_SEED" ]]; then
      for k in $KNOBS; do pool_launch "$BC_DIR/logs/knob_${k//=/}.log" knob "$k"; done
    fi
  done
done
pool_wait || exit 1

cd "$ROOT/GenDD_cifar"
"$PY" -m reports.payoff --save_dir "$BC_DIR" --teacher_dir "$TEACHER_SAVE_DIR" --out "$OUT.md" --plot "$OUT.png" \
  --trace_plot "${OUT}_trace.png" --ref_test_images "$REF_TEST_IMAGES" \
  --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" --total_seconds "$((SECONDS - START))" --jobs "$JOBS" \
  --threads "$THREADS" --device_name "$(device_name)" --images "$IMAGES" \
  --trace_budget "${TRACE_BUDGET:-0}" --trace_seed "$TRACE_SEED" --records "$RECORDS"
echo "[payoff] done in $((SECONDS - START)) s"
