# The runs of one budget and seed on Fashion-MNIST (the baselines and GenDD under the matched
# and paper protocols), shared by sh/budget_curve.sh and sh/payoff.sh. Source it after
# sh/lib/fmnist.sh with BC_DIR, PROTOCOLS, STAGE1_SHARE, SMOOTH, M and WIDTH set; METHODS (the
# student alone and every registered baseline by default) takes an environment value.
METHODS="${METHODS:-$(cd "$ROOT" && "$PY" -m gendd.cli.methods --family student baseline)}"   # the registry's

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

run_paper() {   # regime budget seed subset [tag eval_every [extra GenDD flags...]]: the paper protocol;
  local regime=$1 budget=$2 seed=$3 subset=$4 tag=${5:-} every=${6:-$2}   # a tag names a variant (trial
  shift $(( $# < 6 ? $# : 6 ))                                             # ..._paper<tag>_s<seed>), its
  local trial="${regime}_b${budget}_paper${tag}_s${seed}" warmup            # extra flags go to training
  warmup=$(awk "BEGIN {print $budget * 50 / 240}")                          # and the reference evaluation
  train_stage1 "$BC_DIR" "$(share "$budget" 50)" "$trial" "$seed" "$subset"
  train_stage2 "$BC_DIR" "$budget" "$trial" "$seed" "$subset" "$(stage1_file "$BC_DIR" "$trial")" \
    --warmup_epochs "$warmup" --lr_decay_epochs "$(share "$budget" 150),$(share "$budget" 180),$(share "$budget" 210)" \
    $(gendd_flags) --eval_every "$every" "$@"
  eval_reference "$BC_DIR" "$trial" "$seed" "$subset" $(gendd_flags) "$@"
}

run_unit() {   # regime budget seed subset: the baselines (METHODS) and GenDD (PROTOCOLS) at one budget and seed
  local regime=$1 budget=$2 seed=$3 subset=$4 method protocol
  local ramp; ramp=$(awk "BEGIN {print $budget * 20 / 240}")
  for method in $METHODS; do
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
