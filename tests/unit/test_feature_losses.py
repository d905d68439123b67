"""GenDD's feature-level loss: ``feature_losses(f_s, f_t, labels)`` and the train forward with
``teacher_features=`` give the train forward's named losses and gradients, bitwise, on the same
random draws (same seed), also without a teacher module; methods that read logits refuse it."""
import copy

import pytest
import torch

from gendd.distillers import build
from gendd.distillers.gendd import GenDD
from gendd.distillers.label_free import LabelFreeGenDD
from helpers.toys import ToyNet

IMAGES, LABELS = torch.randn(6, 3, 8, 8), torch.arange(6) % 4


def pair():
    torch.manual_seed(1)
    return ToyNet(width=16, dropout=0.3), ToyNet(width=32).eval()


def gendd(student, teacher=None, cls=GenDD, **kw):
    settings = dict(width=32, depth=1, diffusion_batch_mul=3, token_dim=8, mixup_beta=1.0) | kw
    return cls(student, teacher, **settings).train()


def grads(module):
    return {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}


def run(fn, seed=5):
    torch.manual_seed(seed)
    return fn()


def assert_same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("fast", [True, False])
def test_feature_losses_equal_the_train_forward_on_the_same_draws(fast):
    student, teacher = pair()
    distiller = gendd(student, teacher, fast=fast)
    other = copy.deepcopy(distiller)
    forward = run(lambda: distiller(IMAGES, LABELS))
    sum(forward.values()).backward()

    def by_features():
        f_s = other.student.forward_features(IMAGES)       # the student's own draws (dropout) come first
        with torch.no_grad():
            f_t = teacher.forward_features(IMAGES)
        return other.feature_losses(f_s, f_t, LABELS)
    direct = run(by_features)
    sum(direct.values()).backward()
    assert set(forward) == {"diffusion", "probe_ce"}
    assert_same(forward, direct)
    assert_same(grads(distiller), grads(other))


def test_train_forward_with_cached_features_needs_no_teacher_module():
    student, teacher = pair()
    with_teacher = gendd(student, teacher)
    without = gendd(copy.deepcopy(student), teacher_fc=copy.deepcopy(teacher.fc))
    without.load_state_dict(with_teacher.state_dict())
    assert without.teacher is None
    with torch.inference_mode():                        # e.g. features cached by a pass over the data
        cached = teacher.forward_features(IMAGES)
    forward = run(lambda: with_teacher(IMAGES, LABELS))
    given = run(lambda: without(IMAGES, LABELS, teacher_features=cached))
    assert_same(forward, given)
    sum(given.values()).backward()                      # an inference tensor is taken as a normal one
    with pytest.raises(RuntimeError, match="built without a teacher.*teacher_features=f_t"):
        without(IMAGES, LABELS)


def test_teacher_features_of_the_wrong_shape_are_refused():
    student, teacher = pair()
    distiller = gendd(student, teacher)
    with pytest.raises(ValueError, match=r"shape \(6, 16\) do not fit: expected \(B, Dt\) = \(6, 32\)"):
        distiller(IMAGES, LABELS, teacher_features=torch.zeros(6, 16))


def test_logit_baselines_refuse_teacher_features():
    student, teacher = pair()
    kd = build("kd", student, teacher).train()
    with pytest.raises(TypeError, match="reads the teacher's logits, not its features"):
        kd(IMAGES, LABELS, teacher_features=torch.zeros(6, 32))


def test_label_free_variant_has_the_same_feature_losses_and_refuses_labels():
    student, teacher = pair()
    distiller = gendd(student, teacher, cls=LabelFreeGenDD, smooth=0.0)
    other = copy.deepcopy(distiller)
    forward = run(lambda: distiller(IMAGES, None))
    direct = run(lambda: other.feature_losses(other.student.forward_features(IMAGES),
                                              teacher.forward_features(IMAGES).detach()))
    assert set(forward) == {"diffusion"}
    assert_same(forward, direct)
    with pytest.raises(ValueError, match="got labels"):
        other.feature_losses(student.forward_features(IMAGES), teacher.forward_features(IMAGES), LABELS)
