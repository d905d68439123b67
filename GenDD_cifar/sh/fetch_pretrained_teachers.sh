#!/usr/bin/env bash
# Fetches the six CIFAR-100 teachers of the paper (resnet56, resnet110, resnet32x4, wrn_40_2,
# vgg13, ResNet50; the public RepDistiller/CRD files) to TEACHER_DIR/<arch>_vanilla/ckpt_epoch_240.pth
# and checks that each one loads strictly into its architecture.
#
#   cd GenDD_cifar && bash sh/fetch_pretrained_teachers.sh
#
# Sources, tried in this order for the files still missing:
#   1. TEACHER_MIRROR, when set, is one of
#        - a path or URL ending in .tar: an archive laid out as cifar_teachers.tar
#          (<arch>_vanilla/ckpt_epoch_240.pth, under one top folder or none);
#        - a local folder holding <arch>_vanilla/ckpt_epoch_240.pth (directly or under one top
#          folder, e.g. an unpacked cifar_teachers.tar);
#        - any other URL (https://, http://): a base such that
#          <base>/<arch>_vanilla/ckpt_epoch_240.pth is a teacher file.
#   2. TEACHER_ARCHIVE_URL: the mdistiller release archive (below); set it empty to skip it.
#   3. TEACHER_ORIGIN_URL: the original RepDistiller base address (down since 2022); empty skips it.
# Other environment overrides:
#   TEACHER_DIR where the teachers go (default: GenDD_cifar/save/models, where the launchers look)
#   ONLY        a subset of the six, e.g. ONLY="resnet56 vgg13"
#   PYTHON      interpreter (default: the repository's .venv, else python3)
#   DOWNLOADER  curl, wget or python (default: curl, else wget, else Python's urllib)
#
# Files already in place that load are skipped (one that does not load is moved aside to
# <file>.corrupt and fetched again). Every download goes to <file>.part, is resumed from there
# by the next run after an interruption, and is renamed to <file> only once it loads; a
# download that does not load is removed. An archive downloaded from a URL goes to
# TEACHER_DIR/<12 hex digits of the URL's sha256>-<name>.tar(.part) and is removed once unpacked.
# Exit status: 0 every teacher in place; 1 some could not be fetched; 2 no source could be
# reached (this machine is offline).
set -uo pipefail

CIFAR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO="$(cd "$CIFAR_ROOT/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x "$REPO/.venv/bin/python" ]]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON=python3; fi
fi
export PYTHONPATH="$CIFAR_ROOT:$REPO${PYTHONPATH:+:$PYTHONPATH}"

TEACHERS=(resnet56 resnet110 resnet32x4 wrn_40_2 vgg13 ResNet50)
CKPT=ckpt_epoch_240.pth
RELEASE=https://github.com/megvii-research/mdistiller/releases/download/checkpoints/cifar_teachers.tar
TEACHER_ARCHIVE_URL="${TEACHER_ARCHIVE_URL-$RELEASE}"
TEACHER_ORIGIN_URL="${TEACHER_ORIGIN_URL-http://shape2prog.csail.mit.edu/repo}"
UNREACHABLE=0  # sources that could not be reached (DNS failure, connection refused, time-out)
FAILED=0       # other failures: HTTP errors, corrupt files, files absent from a source

die() { echo "[fetch] error: $*" >&2; exit 1; }

read -r -a WANTED <<< "${ONLY:-${TEACHERS[*]}}"
for arch in "${WANTED[@]}"; do
  [[ " ${TEACHERS[*]} " == *" $arch "* ]] || die "ONLY names '$arch', which is not one of the teachers: ${TEACHERS[*]}"
done
(( ${#WANTED[@]} > 0 )) || die "ONLY is set but names no teacher; choose among: ${TEACHERS[*]}"

if [[ -z "${DOWNLOADER:-}" ]]; then
  if command -v curl >/dev/null; then DOWNLOADER=curl
  elif command -v wget >/dev/null; then DOWNLOADER=wget
  else DOWNLOADER=python; fi
fi
case "$DOWNLOADER" in
  curl|wget|python) ;;
  *) die "DOWNLOADER=$DOWNLOADER is not one of: curl, wget, python" ;;
esac

TEACHER_DIR="${TEACHER_DIR:-$CIFAR_ROOT/save/models}"
mkdir -p "$TEACHER_DIR" || die "cannot create TEACHER_DIR=$TEACHER_DIR"
TEACHER_DIR="$(cd "$TEACHER_DIR" && pwd)"

dest() { echo "$TEACHER_DIR/${1}_vanilla/$CKPT"; }

missing() {  # the wanted teachers whose file is not in place
  local arch
  for arch in "${WANTED[@]}"; do [[ -f "$(dest "$arch")" ]] || echo "$arch"; done
}

verify() {  # MODE ARCH=PATH...: the loading check of gendd_cifar.fetch_check (see its docstring)
  local mode="$1"; shift
  (( $# > 0 )) || return 0
  "$PYTHON" -m gendd_cifar.fetch_check "$mode" "$@"
  case $? in
    0) ;;
    3) [[ "$mode" == install ]] && FAILED=$((FAILED + 1)) ;;
    *) die "the verification helper failed to run ($PYTHON -m gendd_cifar.fetch_check);" \
           "is the environment set up (bash sh/setup.sh)?" ;;
  esac
}

fetch_once() {  # URL PART: one try, resuming PART; returns 0 done, 2 unreachable, 1 other failure
  local url="$1" part="$2" rc
  case "$DOWNLOADER" in
    curl)
      local show=(-sS); [[ -t 2 ]] && show=(--progress-bar)
      curl -fL "${show[@]}" --connect-timeout 20 --speed-limit 1024 --speed-time 60 -C - -o "$part" "$url"
      rc=$?
      case $rc in 0) return 0 ;; 5|6|7|18|28|35|52|55|56) return 2 ;; *) return 1 ;; esac ;;
    wget)
      local show=(-nv); [[ -t 2 ]] && show=(-q --show-progress)
      wget "${show[@]}" -c --tries=1 --timeout=60 -O "$part" "$url"
      rc=$?
      case $rc in 0) return 0 ;; 4) return 2 ;; *) return 1 ;; esac ;;
    python)
      "$PYTHON" -m gendd_cifar.fetch_url "$url" "$part"
      rc=$?
      case $rc in 0|2) return $rc ;; *) return 1 ;; esac ;;
  esac
}

size_of() { if [[ -f "$1" ]]; then echo $(( $(wc -c < "$1") )); else echo 0; fi; }

download() {  # URL PART: fetch_once, restarting from zero once when a resume is refused.
  # Returns 0 done; 2 the host is unreachable; 1 other failures, a transfer cut midway included.
  local url="$1" part="$2" rc before
  mkdir -p "$(dirname "$part")"
  before="$(size_of "$part")"
  (( before > 0 )) && echo "[fetch] resuming $part from $before bytes"
  fetch_once "$url" "$part"; rc=$?
  if (( rc == 1 )) && [[ -s "$part" ]]; then
    echo "[fetch] resuming failed; downloading $url again from the start"
    rm -f "$part"; before=0
    fetch_once "$url" "$part"; rc=$?
  fi
  [[ -f "$part" && ! -s "$part" ]] && rm -f "$part"
  [[ $rc -ne 0 && "$(dirname "$part")" != "$TEACHER_DIR" ]] && rmdir "$(dirname "$part")" 2>/dev/null
  if (( rc == 2 )) && (( $(size_of "$part") > before )); then
    echo "[fetch] the transfer of $url was cut; run this script again to resume it from $part" >&2
    rc=1
  fi
  case $rc in
    0) return 0 ;;
    2) echo "[fetch] cannot reach $url" >&2; UNREACHABLE=$((UNREACHABLE + 1)) ;;
    *) echo "[fetch] could not download $url" >&2; FAILED=$((FAILED + 1)) ;;
  esac
  return "$rc"
}

fetch_urls() {  # BASE_URL: <base>/<arch>_vanilla/ckpt_epoch_240.pth for each missing teacher
  local base="${1%/}" parts=() arch part
  for arch in $(missing); do
    part="$(dest "$arch").part"
    download "$base/${arch}_vanilla/$CKPT" "$part"
    case $? in
      0) parts+=("$arch=$part") ;;
      2) break ;;  # the host is unreachable: no point in asking it for the others
    esac
  done
  verify install "${parts[@]}"
}

fetch_folder() {  # DIR: copies of DIR/<arch>_vanilla/ckpt_epoch_240.pth (or DIR/*/<arch>_vanilla/...)
  local dir="$1" parts=() arch part src candidate
  for arch in $(missing); do
    src=""
    for candidate in "$dir/${arch}_vanilla/$CKPT" "$dir"/*/"${arch}_vanilla/$CKPT"; do
      [[ -f "$candidate" ]] && { src="$candidate"; break; }
    done
    if [[ -z "$src" ]]; then
      echo "[fetch] $arch: no ${arch}_vanilla/$CKPT in $dir" >&2; FAILED=$((FAILED + 1)); continue
    fi
    part="$(dest "$arch").part"
    mkdir -p "$(dirname "$part")"
    if cp "$src" "$part"; then parts+=("$arch=$part"); else rm -f "$part"; FAILED=$((FAILED + 1)); fi
  done
  verify install "${parts[@]}"
}

archive_name() {  # URL: local name of its download, e.g. 1a2b3c4d5e6f-cifar_teachers.tar (one per URL)
  local hash; hash="$(printf '%s' "$1" | sha256sum)"
  echo "${hash:0:12}-$(basename "${1%%\?*}")"
}

fetch_archive() {  # PATH_OR_URL of a .tar: unpack the missing teachers from it
  local src="$1" tarball listing parts=() arch member part downloaded=0
  if [[ "$src" == *://* ]]; then
    tarball="$TEACHER_DIR/$(archive_name "$src")"
    if [[ -f "$tarball" ]]; then
      echo "[fetch] using the archive downloaded before: $tarball"
    else
      echo "[fetch] downloading $src -> $tarball"
      download "$src" "$tarball.part" || return 0
      mv "$tarball.part" "$tarball"
    fi
    downloaded=1
  else
    tarball="$src"
    [[ -f "$tarball" ]] || { echo "[fetch] archive $tarball does not exist" >&2; FAILED=$((FAILED + 1)); return 0; }
  fi
  if ! listing="$(tar -tf "$tarball" 2>&1)"; then
    echo "[fetch] $tarball is not a readable tar archive ($(tail -n 1 <<< "$listing"))" >&2
    (( downloaded )) && { rm -f "$tarball"; echo "[fetch] removed the corrupt download $tarball" >&2; }
    FAILED=$((FAILED + 1)); return 0
  fi
  for arch in $(missing); do
    member="$(grep -E -m 1 "^(\./)?([^/]+/)?${arch}_vanilla/${CKPT}\$" <<< "$listing")"
    if [[ -z "$member" ]]; then
      echo "[fetch] $arch: the archive $tarball holds no ${arch}_vanilla/$CKPT" >&2; FAILED=$((FAILED + 1)); continue
    fi
    part="$(dest "$arch").part"
    mkdir -p "$(dirname "$part")"
    if tar -xOf "$tarball" "$member" > "$part"; then
      parts+=("$arch=$part")
    else
      rm -f "$part"; FAILED=$((FAILED + 1))
    fi
  done
  verify install "${parts[@]}"
  (( downloaded )) && { rm -f "$tarball"; echo "[fetch] removed the unpacked archive $tarball"; }
  return 0
}

fetch_mirror() {  # TEACHER_MIRROR, by the convention of the header
  local mirror="$1"
  if [[ "$mirror" == *.tar ]]; then fetch_archive "$mirror"
  elif [[ -d "$mirror" ]]; then fetch_folder "$mirror"
  elif [[ "$mirror" == *://* ]]; then fetch_urls "$mirror"
  else die "TEACHER_MIRROR=$mirror is neither a .tar archive, an existing folder nor a URL"
  fi
}

present=()
for arch in "${WANTED[@]}"; do [[ -f "$(dest "$arch")" ]] && present+=("$arch=$(dest "$arch")"); done
verify present "${present[@]}"

for source in MIRROR ARCHIVE ORIGIN; do
  [[ -n "$(missing)" ]] || break
  case $source in
    MIRROR) [[ -n "${TEACHER_MIRROR:-}" ]] || continue
            echo "[fetch] source: TEACHER_MIRROR=$TEACHER_MIRROR"; fetch_mirror "$TEACHER_MIRROR" ;;
    ARCHIVE) [[ -n "$TEACHER_ARCHIVE_URL" ]] || continue
             echo "[fetch] source: release archive $TEACHER_ARCHIVE_URL"; fetch_archive "$TEACHER_ARCHIVE_URL" ;;
    ORIGIN) [[ -n "$TEACHER_ORIGIN_URL" ]] || continue
            echo "[fetch] source: original addresses $TEACHER_ORIGIN_URL"; fetch_urls "$TEACHER_ORIGIN_URL" ;;
  esac
done

mapfile -t left < <(missing)
if (( ${#left[@]} == 0 )); then
  echo "[fetch] all ${#WANTED[@]} teachers are in place under $TEACHER_DIR"
  exit 0
fi
if (( UNREACHABLE > 0 && FAILED == 0 )); then
  echo "[fetch] this machine is offline: no source could be reached (DNS failure, connection refused or time-out)." >&2
  status=2
else
  echo "[fetch] ${#left[@]} teacher(s) could not be fetched (see the messages above)." >&2
  (( UNREACHABLE > 0 )) && echo "[fetch] some sources could not be reached: is this machine offline?" >&2
  status=1
fi
echo "[fetch] To proceed, put the teacher files at these paths:" >&2
for arch in "${left[@]}"; do echo "  $(dest "$arch")" >&2; done
echo "[fetch] or set TEACHER_MIRROR to a folder holding <arch>_vanilla/$CKPT, to a copy of cifar_teachers.tar" \
  "(path or URL) or to a reachable base URL of such files, and run this script again." >&2
exit "$status"
