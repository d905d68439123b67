"""The frozen copy of the teacher's final linear layer (W_t, b_t) that GenDD's stages use."""
from __future__ import annotations

from torch import nn

from .contract import check_contract


def frozen_teacher_fc(teacher: nn.Module | None, teacher_fc: nn.Linear | tuple[int, int] | None) -> nn.Linear:
    """A frozen ``nn.Linear(Dt, C)``: a copy of ``teacher.fc``, a copy of the given layer, or, for
    ``teacher_fc=(num_classes, Dt)``, a zero layer whose weights come later from a checkpoint."""
    if (teacher is None) == (teacher_fc is None):
        raise ValueError("give either a teacher (its fc is copied) or teacher_fc (an nn.Linear or "
                         "(num_classes, teacher_feature_dim)), not both and not neither")
    source = teacher.fc if teacher is not None else teacher_fc
    if isinstance(source, nn.Linear):
        layer = nn.Linear(source.in_features, source.out_features, bias=source.bias is not None)
        layer.to(source.weight.device)
        layer.load_state_dict(source.state_dict())
    elif isinstance(source, (tuple, list)) and len(source) == 2:
        num_classes, feature_dim = (int(n) for n in source)
        layer = nn.Linear(feature_dim, num_classes)
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
    else:
        raise TypeError(f"teacher final layer must be an nn.Linear or (num_classes, feature_dim), "
                        f"got {type(source).__name__}")
    if layer.bias is None:
        raise ValueError("the teacher's final layer must have a bias (W_t f + b_t)")
    return layer.requires_grad_(False)


def student_feature_dim(student: nn.Module) -> int:
    """Ds, the input width of the student's final layer ``fc`` (see the model contract)."""
    return check_contract(student, "student").in_features
