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
START=$SECONDS
train_fmnist_teacher

share() {   # budget numerator -> round(budget * numerator / 240), at least 1
  local n=$(( ($1 * $2 + 120) / 240 )); (( n >= 1 )) || n=1; echo "$n"
}

gendd_flags() {   # the head and loss flags shared by training and the reference evaluation
  echo --width "$WIDTH" --smooth "$SMOOTH" --diffusion_batch_mul "$M"
}

run_matched() {   # regime budget seed subset trial reference(1/0) [extra GenDD flags...]
  local regime=$1 budget=$2 seed=$3 subset=$4 trial=$5 reference=$6; shift 6
  local s1=$(( budget / STAGE1_SHARE )); (( s1 >= 1 )) || s1=1
  (( budget > s1 )) || { echo "[budget] the matched protocol needs a budget of at least 2 epochs, got $budget" >&2; exit 2; }
  train_stage1 "$BC_DIR" "$s1" "$trial" "$seed" "$subset"
  train_stage2 "$BC_DIR" "$((budget - s1))" "$trial" "$seed" "$subset" \
    "$(stage1_file "$BC_DIR" "$trial")" --warmup_epochs 1 --cos $(gendd_flags) "$@"
  if ((reference)); then eval_reference "$BC_DIR" "$trial" "$seed" "$subset" $(gendd_flags) "$@"; fi
}

run_paper() {   # regime budget seed subset
  local regime=$1 budget=$2 seed=$3 subset=$4 trial="$1_b$2_paper_s$3"
  local warmup; warmup=$(awk "BEGIN {print $budget * 50 / 240}")
  train_stage1 "$BC_DIR" "$(share "$budget" 50)" "$trial" "$seed" "$subset"
  train_stage2 "$BC_DIR" "$budget" "$trial" "$seed" "$subset" "$(stage1_file "$BC_DIR" "$trial")" \
    --warmup_epochs "$warmup" --lr_decay_epochs "$(share "$budget" 150),$(share "$budget" 180),$(share "$budget" 210)" \
    $(gendd_flags)
  eval_reference "$BC_DIR" "$trial" "$seed" "$subset" $(gendd_flags)
}

run_unit() {   # regime budget seed subset: every method at one budget and seed
  local regime=$1 budget=$2 seed=$3 subset=$4 method protocol
  local ramp; ramp=$(awk "BEGIN {print $budget * 20 / 240}")
  for method in vanilla kd dkd ikl; do
    train_baseline "$BC_DIR" "$method" "$budget" "${regime}_b${budget}_s${seed}" "$seed" "$subset" "$ramp"
  done
  for protocol in $PROTOCOLS; do
    case $protocol in
      matched) run_matched "$regime" "$budget" "$seed" "$subset" "${regime}_b${budget}_s${seed}" 1 ;;
      paper) run_paper "$regime" "$budget" "$seed" "$subset" ;;
      *) echo "[budget] unknown protocol '$protocol'; use matched and/or paper" >&2; exit 2 ;;
    esac
  done
}

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
"$PY" budget_report.py --save_dir "$BC_DIR" --teacher_dir "$TEACHER_SAVE_DIR" --out "$OUT.md" --plot "$OUT.png" \
  --ref_test_images "$REF_TEST_IMAGES" --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" \
  --total_seconds "$((SECONDS - START))" --jobs "$JOBS" --threads "$THREADS" --device_name "$(device_name)" \
  --ablation_budget "${ABLATION_BUDGET:-0}"
echo "[budget] done in $((SECONDS - START)) s"
