#!/usr/bin/env bash
# GenDD on ImageNet, BEiTv2-L -> resnet50, A2 recipe, 300 epochs: stage 1 then stage 2 from its result (docs/method.md §4).
# BATCH is the global batch (the original implementation: 8 GPUs x 64), split over the GPUS x NNODES processes.
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), TEACHER, TRIAL, IMAGE_SIZE, GENDD_ARGS (see sh/_gendd_imagenet.sh).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
TEACHER_ARCH=${TEACHER_ARCH:-beitv2_large_patch16_224}
TEACHER_WEIGHTS=${TEACHER_WEIGHTS:-timm:beitv2_large_patch16_224.in1k_ft_in22k_in1k}
STUDENT=${STUDENT:-resnet50}
RECIPE=${RECIPE:-A2}                         # none | A1 | A2: RandAugment + Mixup/CutMix (+ label smoothing) with soft targets
BATCH=${BATCH:-512}                          # global: 8 GPUs x 64 in the original implementation
PRE_EPOCHS=${PRE_EPOCHS:-20}                 # stage 1: AdamW, cosine, no warm-up
PRE_LR=${PRE_LR:-2e-3}
PRE_WD=${PRE_WD:-2e-2}
PRE_CROP_SCALE=${PRE_CROP_SCALE:-0.08}       # RandomResizedCrop(0.08-1)
GENDD_EPOCHS=${GENDD_EPOCHS:-300}
LR=${LR:-2e-3}                               # stage 2: AdamW, warm-up then half-cosine to MIN_LR
WD=${WD:-2e-2}
WARMUP=${WARMUP:-10}                         # not given for this row (docs/method.md §4): as resnet34 -> resnet18
MIN_LR=${MIN_LR:-1e-6}
CROP_SCALE=${CROP_SCALE:-0.6}                # RandomResizedCrop(0.6-1)
SMOOTH=${SMOOTH:-0.9}                        # lambda: distribution contraction toward the class centre
BETA=${BETA:-0}                              # feature mixup Beta(beta, beta); 0 disables it
M=${M:-10}                                   # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=${TOKEN_DIM:-64}
COND_DROP=${COND_DROP:-0.2}
WIDTH=${WIDTH:-1024}                         # diffusion head width and depth
DEPTH=${DEPTH:-3}
BETA2_MIN=${BETA2_MIN:-0.96}                 # AdamW beta2 rises from this to 0.999 on a cosine
SAMPLING_STEPS=${SAMPLING_STEPS:-64}         # K respaced steps when sampling
TRAIN_NUM_SAMPLING=${TRAIN_NUM_SAMPLING:-1}  # draws per image in the per-epoch evaluation (the eval launcher uses 5)

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_gendd_imagenet.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh/_gendd_imagenet.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_gendd_imagenet.sh"
