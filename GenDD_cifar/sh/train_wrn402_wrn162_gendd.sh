#!/usr/bin/env bash
# GenDD on CIFAR-100, wrn_40_2 -> wrn_16_2: stage 1 then stage 2 from its result (docs/method.md §4).
# Environment overrides: GPUS NNODES NODE_RANK MASTER_ADDR MASTER_PORT DATA_ROOT EPOCHS EXTRA_ARGS
# (see ../sh/lib/launch.sh), plus PATH_T (teacher file) and TRIAL.
TEACHER=wrn_40_2
STUDENT=wrn_16_2
SMOOTH=0.8              # lambda: distribution contraction toward the class centre
BATCH=64
LR=1e-3                 # stage 2 AdamW lr
WD=5e-2
GENDD_EPOCHS=240
WARMUP=50
M=30                    # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=64
COND_DROP=0.2
BETA=1.0                # feature mixup Beta(beta, beta); 0 disables it
WIDTH=1024              # diffusion head width and depth
DEPTH=3
BETA2_MIN=0.95          # AdamW beta2 rises from this to 0.999 on a cosine
TRAIN_NUM_SAMPLING=1    # draws per image in the per-epoch evaluation (sh/evaluate.sh uses 5)
PRE_EPOCHS=50           # stage 1: AdamW, cosine, no warm-up
PRE_LR=3e-3
PRE_WD=5e-2

source "$(dirname "${BASH_SOURCE[0]}")/_gendd_pair.sh"
