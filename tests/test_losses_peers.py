"""Values of the peers' loss terms (arc.losses.peers) on tiny hand-computed tensors."""

from __future__ import annotations

import math

import pytest
import torch

from arc.losses.peers import clip_weights_, consistency_l1, edge_aware_smoothness


def test_smoothness_of_a_ramp_on_a_flat_image_is_its_slope():
    # depth rises by 0.5 per column, 0 per row; a flat image has no edge (weight exp(0) = 1).
    depth = torch.tensor([[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]]).view(1, 1, 2, 3)
    image = torch.zeros(1, 3, 2, 3)
    assert float(edge_aware_smoothness(depth, image)) == pytest.approx(0.5 + 0.0)


def test_an_image_edge_discounts_the_depth_step_across_it():
    # Two identical rows: a depth step of 1 between columns 1 and 2, where every image channel
    # steps by 2. x term: mean(0 * e^0, 1 * e^-2) = e^-2 / 2; y term: 0.
    depth = torch.tensor([[0.0, 0.0, 1.0]] * 2).view(1, 1, 2, 3)
    image = torch.zeros(1, 3, 2, 3)
    image[..., 2] = 2.0
    assert float(edge_aware_smoothness(depth, image)) == pytest.approx(math.exp(-2) / 2)


def test_smoothness_uses_the_channel_mean_of_the_image_gradient():
    # A vertical depth step of 1 where only one image channel steps (by 3): mean_c |dI| = 1.
    depth = torch.tensor([[0.0, 0.0], [1.0, 1.0]]).view(1, 1, 2, 2)
    image = torch.zeros(1, 3, 2, 2)
    image[:, 0, 1] = 3.0
    assert float(edge_aware_smoothness(depth, image)) == pytest.approx(math.exp(-1.0))


def test_smoothness_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="differ"):
        edge_aware_smoothness(torch.zeros(1, 1, 4, 4), torch.zeros(1, 3, 4, 5))


def test_consistency_is_the_mean_absolute_difference():
    a = torch.tensor([0.0, 1.0, -1.0, 0.5]).view(1, 1, 2, 2)
    b = torch.tensor([1.0, 1.0, 1.0, 0.0]).view(1, 1, 2, 2)
    assert float(consistency_l1(a, b)) == pytest.approx((1 + 0 + 2 + 0.5) / 4)
    valid = torch.tensor([True, False, True, False]).view(1, 1, 2, 2)
    assert float(consistency_l1(a, b, valid)) == pytest.approx((1 + 2) / 2)


def test_consistency_trains_both_predictions():
    a = torch.zeros(1, 1, 2, 2, requires_grad=True)
    b = torch.ones(1, 1, 2, 2, requires_grad=True)
    consistency_l1(a, b).backward()
    assert torch.allclose(a.grad, torch.full_like(a, -0.25)) and torch.allclose(b.grad, torch.full_like(b, 0.25))


def test_consistency_with_no_valid_pixel_is_zero_not_nan():
    a, b = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    assert float(consistency_l1(a, b, torch.zeros(1, 1, 2, 2, dtype=torch.bool))) == 0.0


def test_clip_weights_bounds_every_parameter():
    net = torch.nn.Linear(3, 2)
    with torch.no_grad():
        net.weight.fill_(0.5)
        net.bias.fill_(-0.5)
    clip_weights_(net, 0.01)
    assert float(net.weight.detach().max()) == pytest.approx(0.01) and float(net.bias.detach().min()) == pytest.approx(-0.01)
    clip_weights_(net, 0.0)  # 0 = no clip
    assert float(net.weight.detach().max()) == pytest.approx(0.01)
