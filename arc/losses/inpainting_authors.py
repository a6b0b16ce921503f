"""The authors' inpainting losses for I (``training.inpainting.losses: authors``).

Read from yunhan-zhao/ARC @13add94, training/train_inpainting_module_I.py:253-290 and
loss.py:21-101 (our own code, written from that reading). With M = A's binarised KEEP mask
(1 = kept pixel) and x = T(x_r):

    l_I = |I(M x) - x|_1                                            (whole image)
        + lambda_perceptual * sum_{relu1_1, 2_1, 3_1, 4_1, 5_1} |phi(I(M x)) - phi(x)|_1   (whole image)
        + lambda_style * sum_{relu2_2, 3_4, 4_4, 5_2} |G(phi((1-M) I(M x))) - G(phi((1-M) x))|_1
        + lambda_adversarial * (D(I(M x), M) - 1)^2

phi = VGG19 fed the [-1, 1] images as they are (no ImageNet normalisation); G = Gram / (C H W);
every |.|_1 and square is a mean over elements. Only the STYLE term is restricted to the hole.
D's loss: (D(x, M) - 1)^2 + D(I(M x), M)^2 (LSGAN, no 1/2), real = T(x_r), fake = I's raw output.
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.errors import ConfigError
from arc.config import authors_vgg_problem
from arc.settings import setting
from arc.losses.adversarial import GANLoss, Logits
from arc.losses.inpainting import InpaintingWeights
from arc.losses.perceptual import feature_loss, style_loss

LOSSES_KEY = "training.inpainting.losses"
LOSSES = ("paper", "authors")
PERCEPTUAL_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
STYLE_LAYERS = ("relu2_2", "relu3_4", "relu4_4", "relu5_2")
VGG_LAYERS = PERCEPTUAL_LAYERS + STYLE_LAYERS


def inpainting_losses(params: Mapping) -> str:
    """``training.inpainting.losses`` (default ``paper``), checked against ``models.vgg.arch``."""
    choice = setting(params, "training.inpainting.losses")
    if choice not in LOSSES:
        raise ConfigError(f"{LOSSES_KEY} = {choice!r}: expected one of {', '.join(LOSSES)}")
    problem = authors_vgg_problem(params)
    if problem:
        raise ConfigError(problem)
    return choice


def authors_inpainting_loss(
    output: torch.Tensor,
    target: torch.Tensor,
    keep_mask: torch.Tensor,
    *,
    weights: InpaintingWeights,
    vgg: nn.Module | None = None,
    adversarial_logits: Logits | None = None,
) -> dict[str, torch.Tensor]:
    """``{"total", "l1", "perceptual", "style", "adversarial"}`` (parts unweighted).

    ``output`` = I's raw output, ``target`` = T(x_r), ``keep_mask`` = M (B x 1 x H x W, 1 = kept);
    ``vgg`` a VGGFeatures built with ``layers=VGG_LAYERS, normalize=False`` (None: no VGG terms);
    ``adversarial_logits`` = D(output, M), required when lambda_adversarial > 0.
    """
    zero = output.new_zeros(())
    parts = {"l1": F.l1_loss(output, target), "perceptual": zero, "style": zero, "adversarial": zero}
    if vgg is not None and (weights.lambda_perceptual > 0 or weights.lambda_style > 0):
        if vgg.layer_names != VGG_LAYERS:
            raise ValueError(f"authors_inpainting_loss: the VGG must tap {VGG_LAYERS}")
        hole = 1.0 - keep_mask
        out_whole, out_hole = vgg(output), vgg(output * hole)
        with torch.no_grad():
            tgt_whole, tgt_hole = vgg(target), vgg(target * hole)
        n = len(PERCEPTUAL_LAYERS)
        parts["perceptual"] = feature_loss(out_whole[:n], tgt_whole[:n])
        parts["style"] = style_loss(out_hole[n:], tgt_hole[n:])
    if weights.lambda_adversarial > 0:
        if adversarial_logits is None:
            raise ValueError("authors_inpainting_loss: lambda_adversarial > 0 but no discriminator logits were given")
        parts["adversarial"] = _LSGAN(adversarial_logits, True)
    parts["total"] = weights.total(parts)
    return parts


# mean (logits - target)^2 per logit map: their compute_real_fake_loss with loss_type 'lsgan'.
_LSGAN = GANLoss("lsgan")


def authors_discriminator_loss(real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
    """Their D loss: real -> 1 plus fake -> 0, summed (the project's discriminator_loss halves it)."""
    return _LSGAN(real_logits, True) + _LSGAN(fake_logits, False)
