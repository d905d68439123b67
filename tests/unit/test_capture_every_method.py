"""Every registered method's training step captures: its captured program (forward, backward,
clipping, the fused update with found_inf) has no host read, no data-dependent shape and reads no generator state,
checked on fake tensors (see helpers/capture_check.py). The check finds each kind of fault: a
loss that masks with ``masked_select`` (DKD's former form), a host-drawn mixup weight (GenDD
without device draws) and activation checkpointing that keeps the RNG state (the head's former form)."""
import pytest
import torch
from torch._subclasses.fake_tensor import DataDependentOutputException, DynamicOutputShapeException

from gendd.distillers.dkd import DKD
from gendd.distillers.registry import _REGISTRY, _SETTINGS_TYPES, register
from helpers.capture_check import GeneratorStateRead, run_on_fake_tensors
from helpers.methods import case_id, method_cases, tiny_batch, tiny_distiller


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("case", method_cases(), ids=case_id)
def test_every_registered_method_step_captures(case, optimizer):
    name, switches = case
    distiller = tiny_distiller(name, switches)
    before = {k: v.clone() for k, v in distiller.state_dict().items()}
    run_on_fake_tensors(distiller, *tiny_batch(name), optimizer=optimizer)
    after = distiller.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the real model is untouched


class MaskedSelectDKD(DKD):
    """DKD with the target log-probabilities picked by ``masked_select`` (a data-dependent shape)."""

    def forward_train(self, images, labels):
        losses = super().forward_train(images, labels)
        logits = self.student(images).log_softmax(dim=1)
        mask = torch.nn.functional.one_hot(labels, logits.shape[1]).bool()
        return losses | {"target": -logits.masked_select(mask).mean()}


@pytest.fixture
def masked_select_method():
    register("masked_select_dkd", family="baseline")(MaskedSelectDKD)
    yield "masked_select_dkd"
    del _REGISTRY["masked_select_dkd"]
    _SETTINGS_TYPES.pop("masked_select_dkd", None)


def test_the_check_catches_a_data_dependent_shape(masked_select_method):
    assert masked_select_method in [name for name, _ in method_cases()]  # the registry's loop reaches it
    distiller = tiny_distiller(masked_select_method)
    with pytest.raises(DynamicOutputShapeException, match="masked_select"):
        run_on_fake_tensors(distiller, *tiny_batch(masked_select_method))


def test_the_check_catches_a_host_read():
    distiller = tiny_distiller("gendd")
    distiller.device_draws = False  # the eager step draws the mixup weight on the host (.item())
    with pytest.raises(DataDependentOutputException):
        run_on_fake_tensors(distiller, *tiny_batch("gendd"))


def test_the_check_catches_a_generator_state_read(monkeypatch):
    distiller = tiny_distiller("gendd", ("grad_checkpoint",))
    checkpoint = torch.utils.checkpoint.checkpoint
    monkeypatch.setattr("gendd.head.checkpoint", lambda fn, *args, **kw: checkpoint(
        fn, *args, **{**kw, "preserve_rng_state": True}))
    with pytest.raises(GeneratorStateRead):
        run_on_fake_tensors(distiller, *tiny_batch("gendd"))
