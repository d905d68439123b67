"""Batch-source wrappers (the engine's ``steps_per_epoch`` / ``batches(epoch, start_step)`` contract).

* ``MixedSource``: every batch goes through Mixup/CutMix (``data.mixing.MixupCutmix``), so the
  labels the distiller sees are the mixed, smoothed one-hot targets y~ (B, C);
* ``Unlabelled``: the labels are dropped (``None``), for label-free training on CC3M.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator


class MixedSource:
    def __init__(self, source, mix: Callable):
        self.source, self.mix = source, mix
        self.steps_per_epoch = source.steps_per_epoch

    def batches(self, epoch: int, start_step: int = 0) -> Iterator:
        for images, labels in self.source.batches(epoch, start_step):
            yield self.mix(images, labels)


class Unlabelled:
    def __init__(self, source):
        self.source = source
        self.steps_per_epoch = source.steps_per_epoch

    def batches(self, epoch: int, start_step: int = 0) -> Iterator:
        for images, _ in self.source.batches(epoch, start_step):
            yield images, None
