# GenDD on one CIFAR-100 teacher/student pair: stage 1 (student feature -> teacher classifier),
# then stage 2 (diffusion distillation) from stage 1's result, as the original implementation does.
# Sourced by sh/train_<pair>_gendd.sh after it sets TEACHER, STUDENT and the values its row changes
# (docs/launchers.md); each variable below that is unset leaves the script's default (train_student_*.py).
# Stage 1: PRE_EPOCHS PRE_LR PRE_WD. Stage 2: GENDD_EPOCHS LR WD WARMUP SMOOTH M (diffusion_batch_mul)
# TOKEN_DIM COND_DROP BETA (feature mixup) WIDTH DEPTH BETA2_MIN TRAIN_NUM_SAMPLING (draws per image in the
# per-epoch evaluation). Overrides: any of them (SMOOTH=0.8 bash sh/train_...sh), GPUS (default 1) ...
# EXTRA_ARGS (../sh/lib/launch.sh), SAVE_DIR (run folders, default save), TEACHER_DIR (default $SAVE_DIR/models),
# PATH_T, TRIAL, GENDD_ARGS (appended to the stage-2 (GenDD) command only, e.g. a smaller head).
# Stage 2's evaluations (each reports the probe, the student's own classifier, at no sampling cost):
#   EVAL_PLAN=cheap (default): the sampled path every SAMPLED_EVERY (10) epochs at EVAL_PRESET (fast:
#     ancestral 10 steps x 5 draws, guidance 2) and after the last epoch at FINAL_PRESET (paper: ancestral
#     100 steps x 5 draws, guidance 2, sh/evaluate.sh's setting); best.pth is chosen on the probe;
#   EVAL_PLAN=original: the sampled path at every epoch, the last included, at the per-epoch setting
#     (ancestral 100 steps, TRAIN_NUM_SAMPLING draws, guidance 2), as the original implementation;
#     best.pth is chosen on the sampled accuracy.
source "$(dirname "${BASH_SOURCE[0]}")/_cifar.sh"
case "${EVAL_PLAN:-cheap}" in
  cheap) EVAL_ARGS=(--sampled_every "${SAMPLED_EVERY:-10}" --sampling_preset "${EVAL_PRESET:-fast}"
                    --final_sampling "${FINAL_PRESET:-paper}") ;;
  original) EVAL_ARGS=(--sampled_every 1) ;;
  *) echo "error: EVAL_PLAN=$EVAL_PLAN is not a plan: use cheap (default) or original" >&2; exit 2 ;;
esac

STAGE1_EPOCHS="${EPOCHS:-${PRE_EPOCHS:-}}"
STAGE1=()
optional_flags STAGE1 STAGE1_EPOCHS=--epochs PRE_LR=--learning_rate PRE_WD=--weight_decay
STAGE2_EPOCHS="${EPOCHS:-${GENDD_EPOCHS:-}}"
STAGE2=()
optional_flags STAGE2 STAGE2_EPOCHS=--epochs LR=--learning_rate WD=--weight_decay WARMUP=--warmup_epochs \
  SMOOTH=--smooth M=--diffusion_batch_mul TOKEN_DIM=--token_dim COND_DROP=--cond_drop_prob BETA=--beta \
  WIDTH=--width DEPTH=--depth BETA2_MIN=--beta2_min TRAIN_NUM_SAMPLING=--num_sampling

launch train_student_pretrain.py --path_t "$PATH_T" --model_s "$STUDENT" --data_root "$DATA_ROOT" --save_dir "$SAVE_DIR" \
  --batch_size "$BATCH" --trial "$TRIAL" "${STAGE1[@]}"

# shellcheck disable=SC2086
launch train_student_gendd.py --path_t "$PATH_T" --model_s "$STUDENT" --path_pretrain auto --data_root "$DATA_ROOT" \
  --save_dir "$SAVE_DIR" --batch_size "$BATCH" "${STAGE2[@]}" "${EVAL_ARGS[@]}" --trial "$TRIAL" ${GENDD_ARGS:-}
