"""Gram matrix on a hand-computed case; feature/style losses; the inpainting objective."""

from __future__ import annotations

import pytest
import torch

from arc.errors import ConfigError
from arc.losses.inpainting import InpaintingWeights, inpainting_loss
from arc.losses.perceptual import feature_loss, gram_matrix, style_loss
from arc.models.vgg_features import VGGFeatures


def test_gram_matrix_hand_computed():
    # C=2, H=1, W=2: R = [[1, 2], [3, 4]]; R R^T = [[5, 11], [11, 25]]; / (C H W = 4)
    feat = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    expected = torch.tensor([[[1.25, 2.75], [2.75, 6.25]]])
    assert torch.allclose(gram_matrix(feat), expected)
    with pytest.raises(ValueError, match="B x C x H x W"):
        gram_matrix(torch.ones(2, 2))


def test_feature_and_style_losses_sum_over_layers():
    a = [torch.zeros(1, 2, 2, 2), torch.zeros(1, 1, 1, 1)]
    b = [torch.ones(1, 2, 2, 2), torch.full((1, 1, 1, 1), 3.0)]
    assert feature_loss(a, b).item() == pytest.approx(1.0 + 3.0)
    # Gram of all-ones (C=2, HW=4) = 4/8 = 0.5 everywhere; of [[3]] = 9/1 = 9
    assert style_loss(a, b).item() == pytest.approx(0.5 + 9.0)
    # style is invariant to spatial permutation, features are not
    x = torch.arange(8.0).view(1, 2, 2, 2)
    flipped = x.flip(-1)
    assert style_loss([x], [flipped]).item() == pytest.approx(0.0)
    assert feature_loss([x], [flipped]).item() > 0
    with pytest.raises(ValueError):
        feature_loss(a, b[:1])


def test_inpainting_loss_combines_weighted_terms():
    torch.manual_seed(0)
    vgg = VGGFeatures("vgg16", seed=0)
    target = torch.rand(2, 3, 16, 16) * 2 - 1
    output = (torch.rand(2, 3, 16, 16) * 2 - 1).requires_grad_()
    fake_logits = (torch.zeros(2, 1, 3, 3), torch.full((2, 1, 2, 2), 0.5))
    weights = InpaintingWeights(lambda_perceptual=1.0, lambda_style=2.0, lambda_adversarial=0.01)
    parts = inpainting_loss(output, target, weights=weights, features=vgg, adversarial_logits=fake_logits)
    # LSGAN generator loss: mean (logit - 1)^2 per map, summed: 1 + 0.25
    assert parts["adversarial"].item() == pytest.approx(1.25)
    expected = parts["l1"] + parts["perceptual"] + 2.0 * parts["style"] + 0.01 * parts["adversarial"]
    assert parts["total"].item() == pytest.approx(expected.item())
    assert parts["perceptual"].item() > 0 and parts["style"].item() > 0
    parts["total"].backward()
    assert output.grad.abs().sum() > 0
    same = inpainting_loss(target, target, weights=weights, features=vgg, adversarial_logits=(torch.ones(1),))
    assert same["total"].item() == pytest.approx(0.0, abs=1e-6)


def test_inpainting_loss_requires_inputs_for_active_terms_and_rejects_negative_weights():
    x = torch.zeros(1, 3, 8, 8)
    with pytest.raises(ValueError, match="VGG"):
        inpainting_loss(x, x, weights=InpaintingWeights(lambda_adversarial=0.0))
    with pytest.raises(ValueError, match="discriminator"):
        inpainting_loss(x, x, weights=InpaintingWeights(0.0, 0.0, 0.01))
    l1_only = inpainting_loss(x + 1, x, weights=InpaintingWeights(0.0, 0.0, 0.0))
    assert l1_only["total"].item() == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="training.inpainting.lambda_style"):
        InpaintingWeights.from_params({"lambda_perceptual": 1.0, "lambda_style": -1.0})
    assert InpaintingWeights.from_params({}) == InpaintingWeights(1.0, 1.0, 0.01)
