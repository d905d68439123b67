#!/usr/bin/env bash
# GenDD cost benchmark, on whatever device is present (CUDA when available, else CPU):
# training images/s of GenDD and KD per pair, evaluation images/s per sampling setting, peak memory,
# each in the reference mode and the fast mode(s), measured side by side in one run. Writes
# bench/results.json (one record per measurement) and bench/results.md (the table).
#   bash sh/bench.sh                 # everything; on a GPU add --compile to time torch.compile too
#   bash sh/bench.sh --pairs resnet32x4->resnet8x4 --skip_eval
# Overrides: THREADS (CPU threads; default torch's choice; use 1 on a shared machine), PYTHON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$([[ -x $ROOT/.venv/bin/python ]] && echo "$ROOT/.venv/bin/python" || echo python3)}"
export MALLOC_MMAP_THRESHOLD_=65536   # freed tensors go back to the system: per-setting CPU peak memory
if [[ -n "${THREADS:-}" ]]; then export OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"; fi
cd "$ROOT"
echo "[bench] load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
"$PYTHON" bench/run.py "$@"
