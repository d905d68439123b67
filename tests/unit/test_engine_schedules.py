"""LR and β2 schedules against closed forms."""
import math

import pytest

from gendd.engine.schedules import LRSchedule, beta2_at


def test_step_schedule_with_warmup_returns_to_base_lr():
    s = LRSchedule(base_lr=1e-3, epochs=240, steps_per_epoch=10, kind="step", warmup_epochs=50,
                   milestones=(150, 180, 210), gamma=0.1)
    assert s(0) == pytest.approx(1e-3 / 500)
    assert s(249) == pytest.approx(1e-3 * 250 / 500)
    assert s(499) == pytest.approx(1e-3)          # last warm-up step reaches the base lr
    assert s(500) == pytest.approx(1e-3)          # ... and stays there (the original implementation did not)
    assert s(1499) == pytest.approx(1e-3)
    assert s(1500) == pytest.approx(1e-4)         # epoch 150 (0-based) -> x0.1
    assert s(1800) == pytest.approx(1e-5)
    assert s(2100) == pytest.approx(1e-6)
    assert s(2399) == pytest.approx(1e-6)


def test_cosine_schedule_with_warmup_and_min_lr():
    s = LRSchedule(base_lr=2e-3, epochs=100, steps_per_epoch=4, kind="cosine", warmup_epochs=10, min_lr=1e-6)
    assert s(39) == pytest.approx(2e-3)
    total, warm = 400, 40
    for step in (40, 100, 220, 399):
        expect = 1e-6 + 0.5 * (2e-3 - 1e-6) * (1 + math.cos(math.pi * (step - warm) / (total - warm)))
        assert s(step) == pytest.approx(expect)
    assert s(220) == pytest.approx((2e-3 + 1e-6) / 2)


def test_unknown_schedule_is_rejected():
    with pytest.raises(ValueError, match="unknown lr schedule"):
        LRSchedule(1.0, 1, 1, kind="linear")


def test_beta2_cosine_from_min_to_0999():
    assert beta2_at(0, 1000, 0.95) == pytest.approx(0.95)
    assert beta2_at(500, 1000, 0.95) == pytest.approx((0.95 + 0.999) / 2)
    assert beta2_at(1000, 1000, 0.95) == pytest.approx(0.999)
    assert beta2_at(250, 1000, 0.96) == pytest.approx(0.999 - 0.5 * (0.999 - 0.96) * (1 + math.cos(math.pi / 4)))
