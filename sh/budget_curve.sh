#!/usr/bin/env bash
# Budget curves on real data (Fashion-MNIST through the CIFAR tree's code path): at several
# training budgets (BUDGETS, in epochs) and seeds, the student alone, KD, DKD, IKL-KD and
# GenDD under two protocols:
#   matched  GenDD's stage 1 + stage 2 = the baselines' epochs (stage 1 gets 1/STAGE1_SHARE),
#            stage 2 with a 1-epoch warm-up and a half-cosine (as sh/evidence.sh);
#   paper    stage 2 = the baselines' epochs, stage 1 on top of it at the CIFAR recipe's share
#            (50/240 of the budget), stage-2 warm-up 50/240 and the recipe's step decay at
#            150/180/210 of 240 (rounded to whole epochs).
# DKD/IKL ramp their KD term over 20/240 of the budget, as the CIFAR recipe. GenDD is read out
# three ways: the probe, the sampled path at the fast preset, and at the paper's sampling setting
# (100 ancestral steps, guidance 2, 5 draws) on a fixed test subset. At ABLATION_BUDGET, one
# seed of GenDD (matched) with one knob changed at a time (ABLATIONS; probe and fast read-outs).
# Writes results/budget_curve.md and results/budget_curve.png. Every setting below takes an
# environment value (CI runs a shortened version); a second run reuses every finished run
# under $BC_DIR, so an interrupted run continues where it stopped.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

BUDGETS="${BUDGETS:-2 6 18}"                    # epochs of every baseline, limited-data regime
SEEDS="${SEEDS:-0 1 2}"
IMAGES="${IMAGES:-5000}"                        # limited-data regime: the students see this many images
FULL_BUDGETS="${FULL_BUDGETS:-}"                # budgets on the full training set too (none by default: ~45 min
FULL_SEEDS="${FULL_SEEDS:-0}"                   #   of one core per seed and 2 epochs), for these seeds
PROTOCOLS="${PROTOCOLS:-matched paper}"
STAGE1_SHARE="${STAGE1_SHARE:-3}"               # matched protocol: stage 1 gets 1/STAGE1_SHARE of the epochs
SMOOTH="${SMOOTH:-0.9}"                         # GenDD lambda
M="${M:-8}"                                     # diffusion_batch_mul
WIDTH="${WIDTH:-256}"                           # diffusion head width
ABLATION_BUDGET="${ABLATION_BUDGET:-6}"         # "" skips the ablation
ABLATION_SEED="${ABLATION_SEED:-0}"
ABLATIONS="${ABLATIONS:-width=1024 diffusion_batch_mul=30 smooth=0.5}"
BC_DIR="${BC_DIR:-$ROOT/GenDD_cifar/save/budget_curve}"
OUT="${OUT:-$ROOT/results/budget_curve}"
source "$ROOT/sh/lib/fmnist.sh"     # teacher (cached, shared with sh/evidence.sh), devices, sampler settings
source "$ROOT/sh/lib/budget_runs.sh"   # the runs of one budget and seed (shared with sh/payoff.sh)
START=$SECONDS
train_fmnist_teacher

run_ablation() {   # one GenDD (matched) run per knob=value at ABLATION_BUDGET, each with its own stage 1 (the
  local knob      # same weights as the curve's: no two jobs write one run folder); probe and fast read-outs
  for knob in $ABLATIONS; do   # only (the paper's sampling setting of a width-1024 head takes hours on a CPU)
    run_matched limited "$ABLATION_BUDGET" "$ABLATION_SEED" "$IMAGES" \
      "limited_b${ABLATION_BUDGET}_${knob//=/}_s${ABLATION_SEED}" 0 "--${knob%%=*}" "${knob#*=}"
  done
}

# The first two seeds at every budget (largest first, the ablation after the largest), then the
# other seeds: an interrupted run has whole seeds. At most $JOBS at once; logs in $BC_DIR/logs/.
read -ra seeds <<< "$SEEDS"
budgets=$(printf '%s\n' $BUDGETS | sort -rn)
ablation=${ABLATION_BUDGET:+pending}
for group in "${seeds[*]:0:2}" "${seeds[*]:2}"; do
  for budget in $budgets; do
    for seed in $group; do
      [[ " $FULL_BUDGETS " == *" $budget "* && " $FULL_SEEDS " == *" $seed "* ]] &&
        pool_launch "$BC_DIR/logs/full_b${budget}_s$seed.log" run_unit full "$budget" "$seed" 0
      pool_launch "$BC_DIR/logs/limited_b${budget}_s$seed.log" run_unit limited "$budget" "$seed" "$IMAGES"
    done
    if [[ -n "$ablation" ]]; then pool_launch "$BC_DIR/logs/ablation.log" run_ablation; ablation=""; fi
  done
done
pool_wait || exit 1

cd "$ROOT/GenDD_cifar"
"$PY" -m reports.budget --save_dir "$BC_DIR" --teacher_dir "$TEACHER_SAVE_DIR" --out "$OUT.md" --plot "$OUT.png" \
  --ref_test_images "$REF_TEST_IMAGES" --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" \
  --total_seconds "$((SECONDS - START))" --jobs "$JOBS" --threads "$THREADS" --device_name "$(device_name)" \
  --ablation_budget "${ABLATION_BUDGET:-0}"
echo "[budget] done in $((SECONDS - START)) s"
