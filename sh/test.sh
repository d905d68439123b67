#!/usr/bin/env bash
# Runs the set-up when needed, then ruff (the configuration in pyproject.toml), then the whole
# test suite on CPU (what CI runs). Extra arguments go to pytest, e.g. `bash sh/test.sh -k diffusion -x`;
# the fast lane, a few minutes on 2 cores, leaves out the tests marked slow: `bash sh/test.sh -m "not slow"`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/sh/setup.sh"
cd "$ROOT"
"$ROOT/.venv/bin/python" -m ruff check .
exec "$ROOT/.venv/bin/python" -m pytest "$@"
