# Shared launcher plumbing, sourced by every training/eval launcher of both trees.
#
# Environment overrides (all optional):
#   GPUS         processes per node (default: the number of visible CUDA GPUs, or 1; the CIFAR
#                launchers default to 1, as their recipes)
#   NNODES       number of nodes (default: SLURM_NNODES or 1)
#   NODE_RANK    this node's rank (default: SLURM_NODEID or 0)
#   MASTER_ADDR  rank-0 host (default: first host of SLURM_JOB_NODELIST, or 127.0.0.1)
#   MASTER_PORT  rendezvous port (default: 29500 + SLURM_JOB_ID % 1000, or 29500)
#   DATA_ROOT    data folder;  EPOCHS  overrides every stage's epochs (smoke runs)
#   EXTRA_ARGS   appended to every python command (e.g. "--device cpu --num_workers 0")
#   PYTHON       interpreter (default: the repository's .venv, else python3)
# Submitted with sbatch on several nodes, the launcher re-runs itself once per node with srun.
# A launcher's BATCH is the global batch: `split_batch` checks that it divides over GPUS x NNODES.

GENDD_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GENDD_REPO   # where a launcher's copy, run by sbatch or srun outside the repository, finds it
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$GENDD_REPO/.venv/bin/python" ]]; then PYTHON="$GENDD_REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
if [[ -z "${GPUS:-}" ]]; then
  GPUS=$("$PYTHON" -c 'import torch; print(max(1, torch.cuda.device_count()))' 2>/dev/null || echo 1)
fi
NNODES="${NNODES:-${SLURM_NNODES:-1}}"
NODE_RANK="${NODE_RANK:-${SLURM_NODEID:-0}}"
if [[ -z "${MASTER_ADDR:-}" ]]; then
  if [[ -n "${SLURM_JOB_NODELIST:-}" ]] && command -v scontrol >/dev/null; then
    MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
  else
    MASTER_ADDR=127.0.0.1
  fi
fi
MASTER_PORT="${MASTER_PORT:-$((29500 + ${SLURM_JOB_ID:-0} % 1000))}"
EXTRA_ARGS="${EXTRA_ARGS:-}"

# sbatch on several nodes runs the batch script on the first node only: fan out with srun. The
# script is sbatch's copy in the first node's spool folder, so srun gets its text, not its path.
if [[ -n "${SLURM_JOB_ID:-}" && -z "${SLURM_STEP_ID:-}" && "$NNODES" -gt 1 ]] && command -v srun >/dev/null; then
  exec srun --ntasks-per-node=1 --nodes="$NNODES" bash -c "$(cat "$0")" "$0" "$@"
fi

# split_batch GLOBAL: the per-process batch of a global batch over GPUS x NNODES processes, printed;
# exit 2 when it does not divide (the python scripts split --batch_size alike: gendd/engine/layout.py).
split_batch() {
  local world=$((GPUS * NNODES))
  if (( $1 < 1 || $1 % world )); then
    echo "error: the global batch BATCH=$1 does not split evenly over GPUS x NNODES = $GPUS x $NNODES" \
      "process(es): set BATCH to a multiple of $world, or GPUS/NNODES to a divisor of $1" >&2
    exit 2
  fi
  echo "[launch] global batch $1 = $world process(es) x $(($1 / world))"
}

# launch SCRIPT ARGS... (or launch -m MODULE ARGS...): plain python for one process, torchrun (through
# gendd.engine.agent) for several.
# SIGTERM/SIGINT to this shell (sbatch --signal=B:TERM, Ctrl-C) reaches the running command, whose
# processes save a checkpoint and exit 75; the launcher then exits 75 and starts no further stage.
launch() {
  local script="$1"; shift
  if [[ -n "${_GENDD_STOPPED:-}" ]]; then
    echo "pre-empted: stop signal received before ${script/#-m/${1:-}} started; run the same command again to continue" >&2
    return 75
  fi
  if (( GPUS * NNODES > 1 )); then
    echo "[launch] torchrun: $NNODES node(s) x $GPUS process(es), node $NODE_RANK, master $MASTER_ADDR:$MASTER_PORT"
    # shellcheck disable=SC2086
    _forward_signals "$PYTHON" -m gendd.engine.agent --nnodes="$NNODES" --node_rank="$NODE_RANK" \
      --nproc_per_node="$GPUS" --master_addr="$MASTER_ADDR" --master_port="$MASTER_PORT" "$script" "$@" $EXTRA_ARGS
  else
    # shellcheck disable=SC2086
    _forward_signals "$PYTHON" "$script" "$@" $EXTRA_ARGS
  fi
}

# _forward_signals CMD...: run CMD in the background (it dies with this shell, even after a SIGKILL:
# see gendd/engine/signals.py), pass SIGTERM/SIGINT on to it as SIGTERM (a background command ignores
# SIGINT), and return its exit code once it ended. The scripts answer the signal themselves (exit 75
# and a line saying what they had done); one killed by it before it could answer (while Python
# started and imported its modules) had nothing to save, and counts as pre-empted too.
_forward_signals() {
  trap '_GENDD_STOPPED=1; kill -TERM "${_GENDD_CHILD:-}" 2>/dev/null || true' TERM INT
  GENDD_DIE_WITH_PARENT=1 "$@" &
  _GENDD_CHILD=$!
  if [[ -n "${_GENDD_STOPPED:-}" ]]; then kill -TERM "$_GENDD_CHILD" 2>/dev/null || true; fi
  while kill -0 "$_GENDD_CHILD" 2>/dev/null; do
    wait "$_GENDD_CHILD" || true   # returns early when a signal is trapped: wait again
  done
  local rc=0
  wait "$_GENDD_CHILD" || rc=$?
  _GENDD_CHILD=""
  if [[ -n "${_GENDD_STOPPED:-}" && "$rc" -eq 143 ]]; then
    echo "pre-empted: the command ended on the stop signal while it was still starting, before it could" \
      "answer it (nothing to save); run the same command again to continue" >&2
    rc=75
  fi
  return "$rc"
}

# optional_flags ARRAY NAME=--flag ...: append "--flag value" to the array ARRAY for each NAME set to a
# non-empty value (by the launcher or the environment). A launcher sets only the values its recipe changes;
# for every other NAME the python script's default stands, so a default lives in one place.
optional_flags() {
  local -n _flags="$1"; shift
  local pair name
  for pair in "$@"; do
    name="${pair%%=*}"
    if [[ -n "${!name:-}" ]]; then _flags+=("${pair#*=}" "${!name}"); fi
  done
}
