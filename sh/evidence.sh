#!/usr/bin/env bash
# Evidence on real data (Fashion-MNIST, padded to 32x32), through the CIFAR tree's code path:
# a teacher trained once and cached, then the student alone, KD, DKD, IKL-KD and GenDD
# (stage 1 + stage 2), each with the same total epochs, data and augmentation, for several
# seeds (FULL_SEEDS, LIMITED_SEEDS), in two regimes: the full training set, and a limited-data
# regime (the students see LIMITED_IMAGES images; the teacher saw all of them).
# GenDD is reported three ways: the sampled path at the reference setting (100 ancestral
# steps, guidance 2, 5 draws), the sampled path at the fast setting, and the linear probe.
# Writes results/fashion_mnist.md and results/fashion_mnist.png. Every setting below can be
# overridden from the environment (CI runs a shortened version); a second run reuses every
# finished run under $EV_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

TEACHER="${TEACHER:-resnet20}"
TEACHER_EPOCHS="${TEACHER_EPOCHS:-3}"           # on all 60,000 training images
STUDENT="${STUDENT:-resnet8}"
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
FAST_SAMPLER="${FAST_SAMPLER:-ancestral}"       # the fast setting of the sampled path (preset "fast", bench/)
FAST_STEPS="${FAST_STEPS:-10}"
FAST_NUM_SAMPLING="${FAST_NUM_SAMPLING:-5}"
REF_TEST_IMAGES="${REF_TEST_IMAGES:-2000}"      # reference setting on a fixed stratified test subset (0: all)
EV_DIR="${EV_DIR:-$ROOT/GenDD_cifar/save/evidence}"
DATA_ROOT="${DATA_ROOT:-$ROOT/GenDD_cifar/data}"
DEVICE="${DEVICE:-auto}"
WORKERS="${WORKERS:-0}"                         # data-loader workers (none needed with GPU_DATA=1)
GPU_DATA="${GPU_DATA:-1}"                       # 1: training set held on the device, crop/flip there (--gpu_data)
JOBS="${JOBS:-2}"                               # (regime, seed) runs side by side, each with nproc/JOBS threads
EXTRA_ARGS="${EXTRA_ARGS:-}"                    # appended to every training command (e.g. --test_subset 500)
OUT="${OUT:-$ROOT/results/fashion_mnist}"

if [[ -z "${PY:-}" ]]; then      # PY: a Python that already has the requirements and gendd (skips the set-up)
  bash "$ROOT/sh/setup.sh"
  PY="$ROOT/.venv/bin/python"
fi
cd "$ROOT/GenDD_cifar"
COMMON=(--dataset fashion_mnist --data_root "$DATA_ROOT" --save_dir "$EV_DIR" --device "$DEVICE"
        --num_workers "$WORKERS" --log_every 50 $(if ((GPU_DATA)); then echo --gpu_data; fi) $EXTRA_ARGS)
T_PATH="$EV_DIR/models/${TEACHER}_fashion_mnist_trial_teacher/${TEACHER}_vanilla/ckpt_epoch_${TEACHER_EPOCHS}.pth"
START=$SECONDS

echo "[evidence] teacher $TEACHER: the full training set, $TEACHER_EPOCHS epochs"
"$PY" train_teacher.py "${COMMON[@]}" --model "$TEACHER" --epochs "$TEACHER_EPOCHS" --trial teacher \
  --train_subset "$FULL_IMAGES" \
  --learning_rate 0.05 --lr_decay_epochs "$((TEACHER_EPOCHS * 3 / 4))" --eval_every "$TEACHER_EPOCHS"

run_regime() {   # regime epochs subset seed
  local regime=$1 epochs=$2 subset=$3 seed=$4
  local args=("${COMMON[@]}" --model_s "$STUDENT" --seed "$seed" --trial "${regime}_s${seed}" --skip_teacher_eval
              --train_subset "$subset")
  local decay=$((epochs * 3 / 4))
  for method in vanilla kd dkd ikl; do
    echo "[evidence] $regime seed $seed: $method ($epochs epochs)"
    local teacher=(); [[ $method != vanilla ]] && teacher=(--path_t "$T_PATH")
    "$PY" train_student_kd.py "${args[@]}" "${teacher[@]}" --distill "$method" --epochs "$epochs" --eval_every "$epochs" \
      --lr_decay_epochs "$decay" --loss_warmup "$LOSS_WARMUP"
  done
  (( epochs >= 2 )) || { echo "[evidence] GenDD needs at least 2 epochs (stage 1 + stage 2), got $epochs" >&2; exit 2; }
  local s1=$(( epochs / STAGE1_SHARE )); (( s1 >= 1 )) || s1=1
  echo "[evidence] $regime seed $seed: gendd ($s1 + $((epochs - s1)) epochs)"
  "$PY" train_student_pretrain.py "${args[@]}" --path_t "$T_PATH" --epochs "$s1" --eval_every "$s1"
  "$PY" train_student_gendd.py "${args[@]}" --path_t "$T_PATH" --path_pretrain auto --epochs "$((epochs - s1))" \
    --warmup_epochs 1 --cos --smooth "$SMOOTH" --diffusion_batch_mul "$M" --width "$WIDTH" \
    --num_sampling "$FAST_NUM_SAMPLING" --sampler "$FAST_SAMPLER" --sampling_steps "$FAST_STEPS" \
    --eval_every "$((epochs - s1))"
  local run="$EV_DIR/student_gendd/S-${STUDENT}_T-${TEACHER}_fashion_mnist_trial_${regime}_s${seed}"
  "$PY" train_student_gendd.py "${args[@]}" --evaluate --resume "$run/final.pth" --path_t "$T_PATH" \
    --width "$WIDTH" --num_sampling 5 --sampler ancestral --sampling_steps 100 --cfg_scale 2 \
    --test_subset "$REF_TEST_IMAGES" > /dev/null
}

# longest first (full regime), at most $JOBS at once; each job logs to $EV_DIR/logs/<regime>_s<seed>.log
THREADS=$(( $(nproc) / JOBS )); (( THREADS >= 1 )) || THREADS=1
mkdir -p "$EV_DIR/logs"
pids=()
launch() {   # regime epochs subset seed
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  local log="$EV_DIR/logs/$1_s$4.log"
  echo "[evidence] $1 seed $4 started ($THREADS thread(s)); log $log"
  OMP_NUM_THREADS=$THREADS run_regime "$@" > "$log" 2>&1 &
  pids+=("$!:$log")
}
for seed in $FULL_SEEDS; do launch full "$FULL_EPOCHS" "$FULL_IMAGES" "$seed"; done
for seed in $LIMITED_SEEDS; do launch limited "$LIMITED_EPOCHS" "$LIMITED_IMAGES" "$seed"; done
failed=0
for entry in "${pids[@]}"; do
  wait "${entry%%:*}" || { echo "[evidence] failed, see ${entry#*:}:" >&2; tail -n 20 "${entry#*:}" >&2; failed=1; }
done
(( failed == 0 )) || exit 1

DEVICE_NAME=$("$PY" -c "import os, torch; gpu = '$DEVICE' != 'cpu' and torch.cuda.is_available()
print(torch.cuda.get_device_name() if gpu else f'CPU, {os.cpu_count()} cores')")
"$PY" evidence_report.py --save_dir "$EV_DIR" --out "$OUT.md" --plot "$OUT.png" --ref_test_images "$REF_TEST_IMAGES" \
  --fast "$FAST_SAMPLER" "$FAST_STEPS" "$FAST_NUM_SAMPLING" --total_seconds "$((SECONDS - START))" \
  --jobs "$JOBS" --threads "$THREADS" --device_name "$DEVICE_NAME"
echo "[evidence] done in $((SECONDS - START)) s"
