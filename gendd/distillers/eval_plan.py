"""What GenDD's evaluations during training compute (``GenDD.evaluation``).

Every evaluation reports the probe (the student's own classifier: one forward, no sampling). The
sampled path costs K sampling steps × S draws × 2 (guidance) head passes per token, so it runs
only at the epochs that are multiples of ``sampled_every`` (0: at none of them) with the per-epoch
setting, and always after the last epoch, with ``final`` when given (e.g. the paper's sampling
setting, as ``sh/evaluate.sh`` uses) or else the per-epoch setting. ``sampled_every=1`` with no
``final`` is the original implementation's behaviour: the sampled path at every evaluation.

``best_metric``: the read-out ``best.pth`` is chosen on. It must be computed the same way at
every evaluation, so it is the sampled accuracy only when the sampled path runs at every
evaluation with one setting, and the probe accuracy otherwise.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class EvalPlan:
    sampled_every: int = 1
    final: object | None = None   # a SamplingSettings, or None: the per-epoch setting

    def __post_init__(self):
        if self.sampled_every < 0:
            raise ValueError(f"sampled_every must be >= 0 (0: the sampled path only after the last epoch), "
                             f"got {self.sampled_every}")

    def setting(self, per_epoch, epoch: int, last: bool):
        """The sampling setting of the evaluation after ``epoch`` (``num_sampling`` 0: the probe only)."""
        if last:
            return self.final or per_epoch
        if self.sampled_every and epoch % self.sampled_every == 0:
            return per_epoch
        return dataclasses.replace(per_epoch, num_sampling=0)

    def best_metric(self, per_epoch) -> str:
        same_every_time = self.sampled_every == 1 and self.final in (None, per_epoch)
        return "sampled_top1" if per_epoch.num_sampling > 0 and same_every_time else "probe_top1"

    def describe(self, per_epoch) -> str:
        """One line for the run's log."""
        def name(s):
            return (f"{s.sampler} {s.steps} steps x {s.num_sampling} draw(s), guidance {s.cfg_scale:g}"
                    if s.num_sampling else "none (probe only)")
        every = {0: "never during training", 1: "every evaluation"}.get(self.sampled_every,
                                                                         f"every {self.sampled_every} epochs")
        return (f"evaluation: the probe at every evaluation; the sampled path {every} at {name(per_epoch)}, "
                f"after the last epoch at {name(self.final or per_epoch)}; best.pth on "
                f"{self.best_metric(per_epoch)}")
