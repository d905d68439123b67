"""Command-line flags that several logit baselines share (one flag, one help, one default each)."""
from .registry import Flag

TEMPERATURE = Flag("kd_T", "temperature of KD, DKD and IKL's SCE", param="temperature")
LOSS_WARMUP = Flag("loss_warmup", "DKD/IKL: epochs over which the KD term ramps up", param="warmup_epochs")
