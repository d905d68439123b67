# GenDD on one CIFAR-100 teacher/student pair: stage 1 (student feature -> teacher classifier),
# then stage 2 (diffusion distillation) from stage 1's result, as the original implementation does.
# Sourced by sh/train_<pair>_gendd.sh after it sets the pair's hyper-parameters.
# Overrides: every variable the launcher sets (SMOOTH=0.8 bash sh/train_...sh), GPUS (default 1) ...
# EXTRA_ARGS (../sh/lib/launch.sh), SAVE_DIR (run folders, default save), TEACHER_DIR (default $SAVE_DIR/models),
# PATH_T, TRIAL, GENDD_ARGS (appended to the stage-2 (GenDD) command only, e.g. a smaller head).
# Stage 2's evaluations (each reports the probe, the student's own classifier, at no sampling cost):
#   EVAL_PLAN=cheap (default): the sampled path every SAMPLED_EVERY (10) epochs at EVAL_PRESET (fast:
#     ancestral 10 steps x 5 draws, guidance 2) and after the last epoch at FINAL_PRESET (paper: ancestral
#     100 steps x 5 draws, guidance 2, sh/evaluate.sh's setting); best.pth is chosen on the probe;
#   EVAL_PLAN=original: the sampled path at every epoch, the last included, at the per-epoch setting
#     (ancestral 100 steps, TRAIN_NUM_SAMPLING draws, guidance 2), as the original implementation;
#     best.pth is chosen on the sampled accuracy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GPUS="${GPUS:-1}"   # the recipes' one GPU; BATCH is their global batch
source ../sh/lib/launch.sh
split_batch "$BATCH"

DATA_ROOT="${DATA_ROOT:-./data}"
SAVE_DIR="${SAVE_DIR:-save}"
TEACHER_DIR="${TEACHER_DIR:-$SAVE_DIR/models}"
TRIAL="${TRIAL:-0}"
PATH_T="${PATH_T:-$TEACHER_DIR/${TEACHER}_vanilla/ckpt_epoch_240.pth}"
case "${EVAL_PLAN:-cheap}" in
  cheap) EVAL_ARGS=(--sampled_every "${SAMPLED_EVERY:-10}" --sampling_preset "${EVAL_PRESET:-fast}"
                    --final_sampling "${FINAL_PRESET:-paper}") ;;
  original) EVAL_ARGS=(--sampled_every 1) ;;
  *) echo "error: EVAL_PLAN=$EVAL_PLAN is not a plan: use cheap (default) or original" >&2; exit 2 ;;
esac

launch train_student_pretrain.py --path_t "$PATH_T" --model_s "$STUDENT" --data_root "$DATA_ROOT" --save_dir "$SAVE_DIR" \
  --epochs "${EPOCHS:-$PRE_EPOCHS}" --learning_rate "$PRE_LR" --weight_decay "$PRE_WD" --batch_size "$BATCH" \
  --trial "$TRIAL"

launch train_student_gendd.py --path_t "$PATH_T" --model_s "$STUDENT" --path_pretrain auto --data_root "$DATA_ROOT" --save_dir "$SAVE_DIR" \
  --epochs "${EPOCHS:-$GENDD_EPOCHS}" --learning_rate "$LR" --weight_decay "$WD" --batch_size "$BATCH" \
  --warmup_epochs "$WARMUP" --smooth "$SMOOTH" --diffusion_batch_mul "$M" --token_dim "$TOKEN_DIM" \
  --cond_drop_prob "$COND_DROP" --beta "$BETA" --width "$WIDTH" --depth "$DEPTH" --beta2_min "$BETA2_MIN" \
  --num_sampling "$TRAIN_NUM_SAMPLING" "${EVAL_ARGS[@]}" --trial "$TRIAL" ${GENDD_ARGS:-}
