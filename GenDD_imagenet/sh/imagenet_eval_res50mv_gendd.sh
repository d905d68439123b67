#!/usr/bin/env bash
# Evaluates the ImageNet GenDD run resnet50 -> MobileNetV1 (its final.pth, or CKPT): sampled top-1 with
# NUM_SAMPLING draws of SAMPLING_STEPS steps, guidance CFG_SCALE, and the linear-probe top-1.
# Environment overrides: see sh/_eval.sh (GPUS ... DATA_ROOT EXTRA_ARGS CKPT TRIAL IMAGE_SIZE RESULTS_TABLE GENDD_ARGS).
# Below: the values this row sets apart from the defaults (docs/launchers.md); each, and each default,
# takes the environment's value when set there (TRIAL=1 bash <this file>).
SCRIPT=main_supervised_gendd.py
TEACHER_ARCH=${TEACHER_ARCH:-resnet50}
STUDENT=${STUDENT:-MobileNetV1}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/_eval.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/_eval.sh not found: submit from the repository or set GENDD_REPO=<repository>}/_eval.sh"
