#!/usr/bin/env bash
# CC3M as the webdataset shards the CC3M loader reads: OUT/{00000..00331}.tar of NNNNNNNNN.jpg/.txt/.json
# samples (10,000 per shard), downloaded by img2dataset from the CC3M training list.
#   bash sh/prepare_cc3m.sh Train_GCC-training.tsv [OUT]     (OUT default: GenDD_imagenet/data/cc3m)
# Train_GCC-training.tsv (caption<TAB>url lines, no header) comes from
# ai.google.com/research/ConceptualCaptions/download. Needs img2dataset (pip install img2dataset).
# Running it again resumes (img2dataset's incremental mode). At the end it reports the share of the
# images obtained (from img2dataset's NNNNN_stats.json files): many CC3M urls are dead.
# Environment: PROCESSES (16), THREADS (64), IMAGE_SIZE (shorter side, 256), PYTHON.
set -euo pipefail
TREE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(dirname "$TREE")"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
TSV="${1:-}"
OUT="${2:-$TREE/data/cc3m}"
if [[ -z "$TSV" || ! -f "$TSV" ]]; then
  echo "error: the CC3M list '${TSV}' does not exist: pass Train_GCC-training.tsv (caption<TAB>url lines) as the first argument" >&2
  exit 2
fi
if ! command -v img2dataset >/dev/null; then
  echo "error: img2dataset is not installed: pip install img2dataset (into this repository's venv: .venv/bin/pip install img2dataset), then run this script again" >&2
  exit 2
fi
mkdir -p "$OUT"
LIST="$TSV"
if [[ "$(head -n 1 "$TSV")" != $'caption\turl' ]]; then  # img2dataset names the columns from a header line
  LIST="$OUT/cc3m_list.tsv"
  if [[ ! -f "$LIST" ]]; then { printf 'caption\turl\n'; cat "$TSV"; } > "$LIST.tmp" && mv "$LIST.tmp" "$LIST"; fi
fi
img2dataset --url_list "$LIST" --input_format tsv --url_col url --caption_col caption \
  --output_format webdataset --output_folder "$OUT" --number_sample_per_shard 10000 \
  --processes_count "${PROCESSES:-16}" --thread_count "${THREADS:-64}" \
  --image_size "${IMAGE_SIZE:-256}" --resize_mode keep_ratio --incremental_mode incremental --enable_wandb False
PYTHONPATH="$TREE:$REPO${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m gendd_imagenet.prepare.cc3m_stats "$OUT"
