"""Give torchvision and timm classifiers the model contract of ``gendd.distillers``:
``forward_features(x)`` -> the pooled penultimate feature (B, D), ``fc`` -> the final
``nn.Linear(D, C)``, ``forward(x) == fc(forward_features(x))``.

``wrap(model)``:

* a model that already follows the contract is returned as it is;
* a timm model: ``forward_features(x) = model.forward_head(model.forward_features(x), pre_logits=True)``,
  ``fc = model.get_classifier()`` (``TimmAdapter``);
* any other classifier whose last operation is its last ``nn.Linear`` (torchvision's ResNet,
  MobileNet, EfficientNet, VGG, ConvNeXt, DenseNet, ViT, Swin, ...): ``forward_features(x)`` is
  the input of that layer, read by a forward pre-hook while the model runs, and ``fc`` is that
  layer (``LastLinearAdapter``). The first call checks that ``fc(forward_features(x))`` equals
  the model's own output, so a model whose last ``nn.Linear`` is not its last operation is
  refused instead of distilled wrongly.

The wrapped model is ``adapter.model``, unchanged: its ``state_dict`` keys stay the library's
(``adapter.model.state_dict()`` loads into a fresh torchvision/timm model).
"""
from __future__ import annotations

import torch
from torch import nn

from .distillers.contract import check_contract, check_features, has_timm_features


class Adapter(nn.Module):
    """``model`` behind the contract; ``forward(x) = fc(forward_features(x))``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))


class TimmAdapter(Adapter):
    """A timm classifier: its pre-logits head output is the feature, its classifier ``fc``."""

    def __init__(self, model: nn.Module):
        super().__init__(model)
        if not isinstance(model.get_classifier(), nn.Linear):
            raise TypeError(f"{type(model).__name__}.get_classifier() is a {type(model.get_classifier()).__name__}, "
                            f"not an nn.Linear: GenDD reads the final layer as W f + b (create the model with "
                            f"num_classes > 0, or write forward_features and fc yourself)")

    @property
    def fc(self) -> nn.Linear:
        return self.model.get_classifier()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_head(self.model.forward_features(x), pre_logits=True)


class LastLinearAdapter(Adapter):
    """A classifier whose last ``nn.Linear`` is its last operation: the feature is that layer's input."""

    def __init__(self, model: nn.Module, layer: nn.Linear):
        super().__init__(model)
        self._layer = [layer]          # a list: the layer stays registered once, inside ``model``
        self._captured: list[torch.Tensor] = []   # filled only inside forward_features
        self._listening = self._checked = False
        layer.register_forward_pre_hook(self._capture)

    def _capture(self, module: nn.Module, inputs: tuple) -> None:
        if self._listening:
            self._captured.append(inputs[0])

    @property
    def fc(self) -> nn.Linear:
        return self._layer[0]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        self._captured.clear()
        self._listening = True
        try:
            logits = self.model(x)
        finally:
            self._listening = False
        if not self._captured:
            raise TypeError(f"{type(self.model).__name__} never called its last nn.Linear: write forward_features "
                            f"and fc for it yourself")
        features = self._captured[-1]
        self._captured.clear()
        if not self._checked:
            self._check(features, logits)
        return features

    @torch.no_grad()
    def _check(self, features: torch.Tensor, logits) -> None:
        check_features(features, self.fc, f"{type(self.model).__name__} (wrapped)")
        if not torch.is_tensor(logits) or logits.shape != (features.shape[0], self.fc.out_features) or \
                not torch.allclose(self.fc(features), logits, rtol=1e-4, atol=1e-5):
            raise TypeError(f"the last nn.Linear of {type(self.model).__name__} is not its last operation (its output "
                            f"is not the model's): write forward_features and fc for it yourself")
        self._checked = True


def wrap(model: nn.Module) -> nn.Module:
    """``model`` with the contract (see the module doc); a TypeError when no rule fits."""
    if isinstance(model, Adapter):
        return model
    if has_timm_features(model) and callable(getattr(model, "forward_head", None)) \
            and callable(getattr(model, "get_classifier", None)):
        return TimmAdapter(model)
    try:
        check_contract(model, "model")
        return model
    except TypeError:
        pass
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise TypeError(f"{type(model).__name__} has no nn.Linear final layer (e.g. a convolutional classifier): "
                        f"write forward_features(x) -> (B, D) and fc for it yourself")
    return LastLinearAdapter(model, layers[-1])
