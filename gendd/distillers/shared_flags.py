"""Command-line flags that several logit baselines share (one flag, one help, one default, one check each)."""
from ..validation import NON_NEGATIVE, above
from .registry import Flag

TEMPERATURE = Flag("kd_T", "temperature of KD, DKD and IKL's SCE", param="temperature", check=above(0))
LOSS_WARMUP = Flag("loss_warmup", "DKD/IKL: epochs over which the KD term ramps up", param="warmup_epochs",
                   check=above(0))


def loss_weight(name: str, help: str, param: str = "") -> Flag:
    """A flag of a loss term's weight: any finite number of at least 0."""
    return Flag(name, help, param, check=NON_NEGATIVE)
