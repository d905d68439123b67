# Fashion-MNIST runs through the CIFAR tree's code path, shared by sh/evidence.sh and
# sh/budget_curve.sh. Source it after setting ROOT and (optionally) the variables below; every
# one takes an environment value. Functions run from $ROOT/GenDD_cifar.

TEACHER="${TEACHER:-resnet20}"
TEACHER_EPOCHS="${TEACHER_EPOCHS:-3}"           # on all 60,000 training images
STUDENT="${STUDENT:-resnet8}"
TEACHER_SAVE_DIR="${TEACHER_SAVE_DIR:-$ROOT/GenDD_cifar/save/evidence}"   # the cached teacher's save_dir
DATA_ROOT="${DATA_ROOT:-$ROOT/GenDD_cifar/data}"
DEVICE="${DEVICE:-auto}"
WORKERS="${WORKERS:-0}"                         # data-loader workers (none needed with GPU_DATA=1)
GPU_DATA="${GPU_DATA:-1}"                       # 1: training set held on the device, crop/flip there (--gpu_data)
JOBS="${JOBS:-2}"                               # runs side by side, each with nproc/JOBS threads
EXTRA_ARGS="${EXTRA_ARGS:-}"                    # appended to every training command (e.g. --test_subset 500)
FAST_SAMPLER="${FAST_SAMPLER:-ancestral}"       # the fast setting of the sampled path (preset "fast", bench/)
FAST_STEPS="${FAST_STEPS:-10}"
FAST_NUM_SAMPLING="${FAST_NUM_SAMPLING:-5}"
REF_TEST_IMAGES="${REF_TEST_IMAGES:-2000}"      # reference setting on a fixed stratified test subset (0: all)

if [[ -z "${PY:-}" ]]; then      # PY: a Python that already has the requirements and gendd (skips the set-up)
  bash "$ROOT/sh/setup.sh"
  PY="$ROOT/.venv/bin/python"
fi
T_PATH="$TEACHER_SAVE_DIR/models/${TEACHER}_fashion_mnist_trial_teacher/${TEACHER}_vanilla/ckpt_epoch_${TEACHER_EPOCHS}.pth"
THREADS=$(( $(nproc) / JOBS )); (( THREADS >= 1 )) || THREADS=1

common_args() {   # save_dir -> the flags every Fashion-MNIST command shares, one per line
  printf '%s\n' --dataset fashion_mnist --data_root "$DATA_ROOT" --save_dir "$1" --device "$DEVICE" \
    --num_workers "$WORKERS" --log_every 50
  if ((GPU_DATA)); then echo --gpu_data; fi
  local extra; for extra in $EXTRA_ARGS; do echo "$extra"; done
}

train_fmnist_teacher() {   # the teacher on the full training set, once (a finished run is reused); with
  if [[ -n "${TEACHER_READY:-}" ]]; then   # TEACHER_READY=1 a caller that trained it already (and runs several
    [[ -f "$T_PATH" ]] && return 0       # commands on it at once) skips the check
    echo "error: TEACHER_READY is set but the teacher $T_PATH does not exist; unset TEACHER_READY" >&2; exit 2
  fi
  local common; mapfile -t common < <(common_args "$TEACHER_SAVE_DIR")
  echo "[fmnist] teacher $TEACHER: the full training set, $TEACHER_EPOCHS epochs"
  (cd "$ROOT/GenDD_cifar" && "$PY" train_teacher.py "${common[@]}" --model "$TEACHER" --epochs "$TEACHER_EPOCHS" \
    --trial teacher --seed 0 --train_subset "${FULL_IMAGES:-0}" --learning_rate 0.05 \
    --lr_decay_epochs "$((TEACHER_EPOCHS * 3 / 4))" --eval_every "$TEACHER_EPOCHS")
}

finished_run() {   # save_dir kind trial teacher_name -> status 0 when that run wrote its summary.json (it is reused)
  [[ -f "$1/student_$2/S-${STUDENT}_T-$4_fashion_mnist_trial_$3/summary.json" ]] &&
    echo "[fmnist] $3: $2 finished already (summary.json), reused"
}

train_baseline() {   # save_dir method epochs trial seed subset loss_warmup
  local common; mapfile -t common < <(common_args "$1")
  local teacher=(); [[ $2 != vanilla ]] && teacher=(--path_t "$T_PATH")
  finished_run "$1" "$2" "$4" "$([[ $2 == vanilla ]] && echo none || echo "$TEACHER")" && return 0
  echo "[fmnist] $4: $2 ($3 epochs)"
  (cd "$ROOT/GenDD_cifar" && "$PY" train_student_kd.py "${common[@]}" --model_s "$STUDENT" --seed "$5" --trial "$4" \
    --skip_teacher_eval --train_subset "$6" "${teacher[@]}" --distill "$2" --epochs "$3" --eval_every "$3" \
    --lr_decay_epochs "$(($3 * 3 / 4))" --loss_warmup "$7")
}

train_stage1() {   # save_dir epochs trial seed subset
  local common; mapfile -t common < <(common_args "$1")
  finished_run "$1" pretrain "$3" "$TEACHER" && return 0
  echo "[fmnist] $3: GenDD stage 1 ($2 epochs)"
  (cd "$ROOT/GenDD_cifar" && "$PY" train_student_pretrain.py "${common[@]}" --model_s "$STUDENT" --seed "$4" \
    --trial "$3" --skip_teacher_eval --train_subset "$5" --path_t "$T_PATH" --epochs "$2" --eval_every "$2")
}

train_stage2() {   # save_dir epochs trial seed subset stage1_file [extra GenDD flags...]
  local save=$1 epochs=$2 trial=$3 seed=$4 subset=$5 stage1=$6; shift 6
  local common; mapfile -t common < <(common_args "$save")
  finished_run "$save" gendd "$trial" "$TEACHER" && return 0
  echo "[fmnist] $trial: GenDD stage 2 ($epochs epochs) $*"
  (cd "$ROOT/GenDD_cifar" && "$PY" train_student_gendd.py "${common[@]}" --model_s "$STUDENT" --seed "$seed" \
    --trial "$trial" --skip_teacher_eval --train_subset "$subset" --path_t "$T_PATH" --path_pretrain "$stage1" \
    --epochs "$epochs" --num_sampling "$FAST_NUM_SAMPLING" --sampler "$FAST_SAMPLER" \
    --sampling_steps "$FAST_STEPS" --eval_every "$epochs" "$@")
}

eval_reference() {   # save_dir trial seed subset [GenDD head flags...]: the paper's sampling setting on the fixed subset
  local save=$1 trial=$2 seed=$3 subset=$4; shift 4
  local common; mapfile -t common < <(common_args "$save")
  local run="$save/student_gendd/S-${STUDENT}_T-${TEACHER}_fashion_mnist_trial_${trial}"
  local done="$run/eval_ancestral100_S5_cfg2$( ((REF_TEST_IMAGES)) && echo "_test$REF_TEST_IMAGES").json"
  [[ -f "$done" ]] && return 0     # evaluated already (--resume_mode overwrite would have removed it)
  (cd "$ROOT/GenDD_cifar" && "$PY" train_student_gendd.py "${common[@]}" --model_s "$STUDENT" --seed "$seed" \
    --trial "$trial" --skip_teacher_eval --train_subset "$subset" --evaluate --resume "$run/final.pth" \
    --path_t "$T_PATH" --num_sampling 5 --sampler ancestral --sampling_steps 100 --cfg_scale 2 \
    --test_subset "$REF_TEST_IMAGES" "$@" > /dev/null)
}

stage1_file() {   # save_dir trial -> the stage-1 run's final.pth
  echo "$1/student_pretrain/S-${STUDENT}_T-${TEACHER}_fashion_mnist_trial_$2/final.pth"
}

POOL=()
pool_launch() {   # log_file command...: run in the background, at most $JOBS at once
  local log=$1; shift
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  mkdir -p "$(dirname "$log")"
  echo "[fmnist] started ($THREADS thread(s)): $* ; log $log"
  OMP_NUM_THREADS=$THREADS "$@" > "$log" 2>&1 &
  POOL+=("$!:$log")
}

pool_wait() {   # wait for every launched job; 1 when one failed (its log's tail is shown)
  local entry failed=0
  for entry in "${POOL[@]}"; do
    wait "${entry%%:*}" || { echo "[fmnist] failed, see ${entry#*:}:" >&2; tail -n 20 "${entry#*:}" >&2; failed=1; }
  done
  POOL=()
  return "$failed"
}

device_name() {
  "$PY" -c "import os, torch; gpu = '$DEVICE' != 'cpu' and torch.cuda.is_available()
print(torch.cuda.get_device_name() if gpu else f'CPU, {os.cpu_count()} cores')"
}
