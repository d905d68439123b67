#!/usr/bin/env bash
# Creates .venv in the repository root when absent and installs piplist.txt plus the
# package (editable). Re-running is cheap: it reinstalls only when piplist.txt or
# pyproject.toml changed since the last successful set-up.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.gendd-setup-stamp"

want="$(cat "$ROOT/piplist.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "[setup] creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "[setup] installing piplist.txt and the gendd package (first time takes a few minutes)"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r "$ROOT/piplist.txt"
"$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
echo "$want" > "$STAMP"
echo "[setup] done: $("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)')"
