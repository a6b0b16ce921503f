"""Masked L1 (zero-safe) and the GAN objectives."""

from __future__ import annotations

import math

import pytest
import torch

from arc.losses.adversarial import GANLoss, discriminator_loss
from arc.losses.depth import masked_l1


def test_masked_l1_averages_over_valid_pixels_only():
    pred = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    target = torch.tensor([[0.0, 0.0], [0.0, 100.0]])
    valid = torch.tensor([[True, True], [True, False]])
    assert masked_l1(pred, target, valid).item() == pytest.approx((1 + 2 + 3) / 3)


def test_masked_l1_with_no_valid_pixel_is_zero_with_zero_gradient():
    pred = torch.ones(1, 1, 2, 2, requires_grad=True)
    loss = masked_l1(pred, torch.full_like(pred, float("nan")), torch.zeros(1, 1, 2, 2, dtype=torch.bool))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_masked_l1_broadcasts_valid_and_rejects_shape_mismatch():
    pred, target = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    assert masked_l1(pred, target, torch.ones(1, 1, 2, 2)).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        masked_l1(pred, torch.ones(2, 1, 2, 3), torch.ones(2, 1, 2, 2))


def test_gan_losses_closed_form():
    zeros = torch.zeros(2, 1, 3, 3)
    bce = GANLoss("bce")
    assert bce(zeros, True).item() == pytest.approx(math.log(2))
    assert bce(torch.full((1, 1), 2.0), False).item() == pytest.approx(math.log(1 + math.exp(2.0)))
    lsgan = GANLoss("lsgan")
    assert lsgan(torch.full((1, 1, 2, 2), 0.5), True).item() == pytest.approx(0.25)
    assert lsgan(torch.full((1, 1, 2, 2), 0.5), False).item() == pytest.approx(0.25)
    # tuple (global, local): sum of per-map means
    assert lsgan((torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 1, 1)), True).item() == pytest.approx(1.0)
    assert discriminator_loss(lsgan, torch.ones(1, 1), torch.ones(1, 1)).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="wgan"):
        GANLoss("wgan")
