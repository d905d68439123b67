"""BEiT-v2 teachers from timm with the project's feature contract.

``BeitFeatures`` is timm's ``Beit`` class with three members added, so its state_dict keys
stay timm's and timm's (pre)trained files load unchanged:

* ``forward_features(x)``: the pooled, normed token average before the head,
  h = fc_norm(mean of the patch tokens) — timm's ``forward_head(..., pre_logits=True)``;
* ``fc``: timm's ``head`` (an ``nn.Linear``; read-only alias);
* ``forward(x) = fc(forward_features(x))``, equal to timm's own forward.
"""
from __future__ import annotations

import timm
from timm.models.beit import Beit
from torch import Tensor, nn

# our architecture name -> the timm pretrained tag docs/method.md §5 uses
BEIT_TAGS = {
    "beitv2_large_patch16_224": "in1k_ft_in22k_in1k",
    "beitv2_base_patch16_224": "in1k_ft_in22k_in1k",
}


class BeitFeatures(Beit):
    def forward_features(self, x: Tensor) -> Tensor:
        """Pooled, normed token average, (B, embed_dim)."""
        return super().forward_head(super().forward_features(x), pre_logits=True)

    @property
    def fc(self) -> nn.Linear:
        return self.head

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x))


def build_beit(timm_name: str, num_classes: int = 1000, pretrained: bool = False, **overrides) -> BeitFeatures:
    """``timm.create_model(timm_name, ...)`` turned into a ``BeitFeatures`` (no weight copy).

    ``timm_name`` is an architecture ("beitv2_base_patch16_224") or architecture.tag;
    ``overrides`` go to timm (e.g. ``embed_dim=32, depth=2, num_heads=2, img_size=32`` for a
    tiny randomly initialised model in tests).
    """
    arch, _, tag = timm_name.partition(".")
    if arch not in BEIT_TAGS:
        raise ValueError(f"unknown BEiT teacher {timm_name!r}; known: {sorted(BEIT_TAGS)}")
    full_name = f"{arch}.{tag or BEIT_TAGS[arch]}"
    if pretrained and num_classes != 1000:
        raise ValueError(f"timm's {full_name} weights have a 1000-class head; with num_classes={num_classes} timm "
                         f"would re-initialise it at random: use num_classes=1000 for a pretrained teacher")
    try:
        model = timm.create_model(full_name, pretrained=pretrained, num_classes=num_classes, **overrides)
    except Exception as err:
        if not pretrained:
            raise
        raise RuntimeError(
            f"could not fetch timm's pretrained weights for {full_name!r} ({type(err).__name__}: {err}); "
            f"this machine may be offline: download them where there is internet and pass the local "
            f"file as the teacher instead of 'timm:{full_name}'") from err
    if type(model) is not Beit:
        raise TypeError(f"timm built a {type(model).__name__} for {full_name!r}, expected a Beit")
    model.__class__ = BeitFeatures  # adds methods only: same modules, same state_dict
    return model
