"""Gumbel-sigmoid relaxation, hard eval mask and the temperature schedule."""

from __future__ import annotations

import pytest
import torch

from arc.models.gumbel import gumbel_sigmoid, hard_mask, linear_temperature

LOGITS = torch.tensor([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0])


def test_keep_rate_tracks_sigmoid_of_logit():
    n = 100_000
    logits = LOGITS.repeat(n, 1)
    samples = gumbel_sigmoid(logits, tau=0.05, generator=torch.Generator().manual_seed(123))
    expected = torch.sigmoid(LOGITS)
    # binomial std at n = 1e5 is <= 0.0016; at tau = 0.05 the soft samples are nearly binary
    assert torch.allclose(samples.mean(dim=0), expected, atol=0.01)
    assert torch.allclose((samples > 0.5).float().mean(dim=0), expected, atol=0.006)


def test_generator_makes_noise_reproducible_and_tau_controls_sharpness():
    logits = torch.zeros(1000)
    a = gumbel_sigmoid(logits, 0.5, generator=torch.Generator().manual_seed(7))
    b = gumbel_sigmoid(logits, 0.5, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    sharp = gumbel_sigmoid(logits, 0.05, generator=torch.Generator().manual_seed(7))
    # same noise, lower temperature: further from 0.5
    assert (sharp - 0.5).abs().mean() > (a - 0.5).abs().mean()
    assert ((a > 0) & (a < 1)).all()
    with pytest.raises(ValueError, match="tau"):
        gumbel_sigmoid(logits, 0.0)


def test_gumbel_sigmoid_is_differentiable():
    logits = torch.zeros(8, requires_grad=True)
    gumbel_sigmoid(logits, 0.9, generator=torch.Generator().manual_seed(0)).sum().backward()
    assert (logits.grad > 0).all()


def test_hard_mask_is_exactly_binary_with_threshold_at_zero():
    mask = hard_mask(torch.tensor([-1e-6, 0.0, 1e-6, -5.0, 5.0]))
    assert mask.tolist() == [0.0, 1.0, 1.0, 0.0, 1.0]
    random_mask = hard_mask(torch.randn(2, 1, 16, 16, generator=torch.Generator().manual_seed(0)))
    assert set(random_mask.unique().tolist()) <= {0.0, 1.0}


def test_linear_temperature_schedule():
    assert linear_temperature(0, 100) == pytest.approx(0.9)
    assert linear_temperature(50, 100) == pytest.approx(0.475)
    assert linear_temperature(100, 100) == pytest.approx(0.05)
    assert linear_temperature(1000, 100) == pytest.approx(0.05)  # constant afterwards
    assert linear_temperature(5, 10, start=1.0, end=0.5) == pytest.approx(0.75)
    with pytest.raises(ValueError):
        linear_temperature(-1, 100)
