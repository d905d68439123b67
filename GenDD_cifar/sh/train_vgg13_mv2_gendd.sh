#!/usr/bin/env bash
# GenDD on CIFAR-100, vgg13 -> MobileNetV2: stage 1 then stage 2 from its result (docs/method.md §4).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
# lambda for this heterogeneous pair is not given in docs/method.md §4: the teacher's homogeneous pair's value.
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
# BATCH is the recipe's global batch (1 GPU), split over the GPUS x NNODES processes; GPUS defaults to 1.
TEACHER=${TEACHER:-vgg13}
STUDENT=${STUDENT:-MobileNetV2}
SMOOTH=${SMOOTH:-0.7}                        # lambda: distribution contraction toward the class centre
BATCH=${BATCH:-128}
LR=${LR:-1e-4}                               # stage 2 AdamW lr (MobileNet/ShuffleNet students need a much smaller one)
WD=${WD:-5e-2}
GENDD_EPOCHS=${GENDD_EPOCHS:-240}
WARMUP=${WARMUP:-50}
M=${M:-30}                                   # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=${TOKEN_DIM:-64}
COND_DROP=${COND_DROP:-0.2}
BETA=${BETA:-1.0}                            # feature mixup Beta(beta, beta); 0 disables it
WIDTH=${WIDTH:-1024}                         # diffusion head width and depth
DEPTH=${DEPTH:-3}
BETA2_MIN=${BETA2_MIN:-0.95}                 # AdamW beta2 rises from this to 0.999 on a cosine
TRAIN_NUM_SAMPLING=${TRAIN_NUM_SAMPLING:-1}  # draws per image in the per-epoch evaluation (sh/evaluate.sh uses 5)
PRE_EPOCHS=${PRE_EPOCHS:-50}                 # stage 1: AdamW, cosine, no warm-up
PRE_LR=${PRE_LR:-3e-3}
PRE_WD=${PRE_WD:-5e-2}

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_cifar/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_cifar/sh" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_cifar/sh" "${SLURM_SUBMIT_DIR:-.}/sh" ""; do [[ -f "$SH_DIR/_gendd_pair.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_cifar/sh/_gendd_pair.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_gendd_pair.sh"
