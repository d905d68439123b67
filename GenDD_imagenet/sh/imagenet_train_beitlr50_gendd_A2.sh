#!/usr/bin/env bash
# GenDD on ImageNet, BEiTv2-L -> resnet50, A2 recipe, 300 epochs: stage 1 then stage 2 from its result (docs/method.md §4).
# The row of imagenet_train_beitr50_gendd_A2.sh with the large BEiTv2 teacher: every other value,
# override and default is that launcher's (docs/launchers.md).
TEACHER_ARCH=${TEACHER_ARCH:-beitv2_large_patch16_224}
TEACHER_WEIGHTS=${TEACHER_WEIGHTS:-timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k}

for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-${SLURM_SUBMIT_DIR:-.}}"{/GenDD_imagenet,}/sh; do [[ -f $SH_DIR/imagenet_train_beitr50_gendd_A2.sh ]] && break; SH_DIR=; done; source "${SH_DIR:?GenDD_imagenet/sh/imagenet_train_beitr50_gendd_A2.sh not found: submit from the repository or set GENDD_REPO=<repository>}/imagenet_train_beitr50_gendd_A2.sh"
