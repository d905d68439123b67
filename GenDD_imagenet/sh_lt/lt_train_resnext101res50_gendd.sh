#!/usr/bin/env bash
# GenDD on ImageNet-LT, ResNeXt-101 (32x4d) LT teacher -> resnet50 (docs/method.md §4): lambda 0; reports
# top-1 overall / many / medium / few shot after training. Train the teacher first
# (sh_lt/lt_train_resnext101_teacher.sh), or point TEACHER at its final.pth.
# Environment overrides: see sh_lt/_lt.sh, plus PATH_T or TEACHER (the teacher file; default its
# run's final.pth under TEACHER_DIR, itself by default $SAVE_DIR/lt_teacher) and GENDD_ARGS (appended,
# e.g. a small head).
# Each variable below takes its value from the environment when set there (LR=0.01 bash <this file>).
SCRIPT=main_gendd_lt.py
TEACHER_ARCH=${TEACHER_ARCH:-resnext101_32x4d}
TEACHER_DIR=${TEACHER_DIR:-${SAVE_DIR:-save}/lt_teacher}  # the teacher runs of sh_lt/lt_train_resnext101_teacher.sh
PATH_T=${PATH_T:-${TEACHER:-$TEACHER_DIR/${TEACHER_ARCH}_imagenet_lt_trial_${TRIAL:-0}/final.pth}}
STUDENT=${STUDENT:-resnet50}
BATCH=${BATCH:-512}                          # global: 8 GPUs x 64 in the original implementation
TRAIN_EPOCHS=${TRAIN_EPOCHS:-100}
LR=${LR:-2e-3}                               # AdamW, warm-up then half-cosine to MIN_LR
WD=${WD:-0.2}
WARMUP=${WARMUP:-20}
MIN_LR=${MIN_LR:-1e-6}
CROP_SCALE=${CROP_SCALE:-0.6}                # RandomResizedCrop(0.6-1)
SMOOTH=${SMOOTH:-0}                          # lambda: no contraction toward the class centres
BETA=${BETA:-1.0}                            # feature mixup Beta(beta, beta); 0 disables it
M=${M:-10}                                   # diffusion_batch_mul: repeats of every token per step
TOKEN_DIM=${TOKEN_DIM:-64}
COND_DROP=${COND_DROP:-0.2}
WIDTH=${WIDTH:-1024}                         # diffusion head width and depth
DEPTH=${DEPTH:-3}
BETA2_MIN=${BETA2_MIN:-0.96}                 # AdamW beta2 rises from this to 0.999 on a cosine
SAMPLING_STEPS=${SAMPLING_STEPS:-64}         # K respaced steps when sampling
TRAIN_NUM_SAMPLING=${TRAIN_NUM_SAMPLING:-1}  # draws per image in the per-epoch evaluation (the eval launcher uses 5)
RUN_ARGS=(--arch_t "$TEACHER_ARCH" --path_t "$PATH_T" --model_s "$STUDENT" --batch_size "$BATCH" --epochs "${EPOCHS:-$TRAIN_EPOCHS}"
  --learning_rate "$LR" --weight_decay "$WD" --cos --warmup_epochs "$WARMUP" --min_lr "$MIN_LR" --crop_scale "$CROP_SCALE"
  --smooth "$SMOOTH" --beta "$BETA" --diffusion_batch_mul "$M" --token_dim "$TOKEN_DIM" --cond_drop_prob "$COND_DROP"
  --width "$WIDTH" --depth "$DEPTH" --beta2_min "$BETA2_MIN" --sampling_steps "$SAMPLING_STEPS"
  --num_sampling "$TRAIN_NUM_SAMPLING")
# shellcheck disable=SC2206
RUN_ARGS+=(${GENDD_ARGS:-})   # word-split on purpose: extra flags

# sbatch runs a copy of this file from its spool folder: the shared part is then found under
# GENDD_REPO or the folder sbatch was called from (the repository or GenDD_imagenet/).
for SH_DIR in "$(dirname "${BASH_SOURCE[0]}")" "${GENDD_REPO:-.}/GenDD_imagenet/sh_lt" \
  "${SLURM_SUBMIT_DIR:-.}/GenDD_imagenet/sh_lt" "${SLURM_SUBMIT_DIR:-.}/sh_lt" ""; do [[ -f "$SH_DIR/_lt.sh" ]] && break; done
[[ -n "$SH_DIR" ]] || { echo "error: GenDD_imagenet/sh_lt/_lt.sh not found: run sbatch from the repository" \
  "or set GENDD_REPO=<repository>" >&2; exit 2; }
source "$SH_DIR/_lt.sh"
