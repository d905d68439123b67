#!/usr/bin/env bash
# Copies the original implementation's CIFAR model and loss code (jiequancui/Generative-Distribution-
# Distillation: GenDD_cifar/models, diffloss.py, diffusion/) from a snapshot of its repository into .orig/,
# a folder git ignores (listed in the repository's info/exclude): bench/original_step.py imports it there.
# This repository never contains that code; the device session runs it from the copy.
#   bash bench/prepare_original.sh [SNAPSHOT]   # SNAPSHOT: its git folder (default $ORIGINAL_SNAPSHOT,
#                                               # else /work/.mirror/jiequancui+Generative-Distribution-Distillation/repo)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SNAPSHOT="${1:-${ORIGINAL_SNAPSHOT:-/work/.mirror/jiequancui+Generative-Distribution-Distillation/repo}}"
if ! git --git-dir="$SNAPSHOT" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  echo "error: no git snapshot of the original implementation at $SNAPSHOT: clone" \
    "https://github.com/jiequancui/Generative-Distribution-Distillation and pass its .git folder" >&2
  exit 2
fi
exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
grep -qxF '/.orig/' "$exclude" 2>/dev/null || echo '/.orig/' >> "$exclude"
rm -rf .orig
mkdir -p .orig/GenDD_cifar
git --git-dir="$SNAPSHOT" archive HEAD:GenDD_cifar models diffloss.py diffusion | tar -x -C .orig/GenDD_cifar
echo "copied GenDD_cifar/{models,diffloss.py,diffusion} of the original implementation" \
  "($(git --git-dir="$SNAPSHOT" rev-parse --short HEAD)) into .orig/"
