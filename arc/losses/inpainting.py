"""The inpainting objective of I (ARC eq. 9):

    l_inp = L1(I(Mx), x) + lambda_perceptual * l_frec + lambda_style * l_style + lambda_adversarial * l_adv

The reconstruction/perceptual/style terms compare the raw inpainter output
I(M x) with the target image (eqs. 4-6); the adversarial term is computed by
the caller on the composite x_tilde (it needs the discriminator and hole mask)
and passed in as the discriminator's logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.errors import ConfigError
from arc.losses.adversarial import GANLoss
from arc.losses.perceptual import feature_loss, style_loss


@dataclass(frozen=True)
class InpaintingWeights:
    lambda_perceptual: float = 1.0
    lambda_style: float = 1.0
    lambda_adversarial: float = 0.01

    def __post_init__(self) -> None:
        for name in ("lambda_perceptual", "lambda_style", "lambda_adversarial"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise ConfigError(f"training.inpainting.{name} = {value!r}: expected a number >= 0")

    @classmethod
    def from_params(cls, section: Mapping[str, Any]) -> "InpaintingWeights":
        """From the ``training.inpainting`` section of params.yaml (missing keys keep paper values)."""
        keys = ("lambda_perceptual", "lambda_style", "lambda_adversarial")
        return cls(**{k: section[k] for k in keys if k in section})

    def total(self, parts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """l1 + the weighted perceptual, style and adversarial parts (eq. 9)."""
        return (
            parts["l1"]
            + self.lambda_perceptual * parts["perceptual"]
            + self.lambda_style * parts["style"]
            + self.lambda_adversarial * parts["adversarial"]
        )


def inpainting_loss(
    output: torch.Tensor,
    target: torch.Tensor,
    *,
    weights: InpaintingWeights = InpaintingWeights(),
    features: nn.Module | None = None,
    adversarial_logits: torch.Tensor | Sequence[torch.Tensor] | None = None,
    gan: GANLoss | None = None,
) -> dict[str, torch.Tensor]:
    """Return ``{"total", "l1", "perceptual", "style", "adversarial"}`` (unweighted parts).

    ``features`` (a VGGFeatures) is required when a perceptual/style weight is > 0;
    ``adversarial_logits`` (discriminator logits on the composite) when lambda_adversarial > 0.
    ``gan`` defaults to LSGAN, the loss of ARC's inpainting discriminators.
    """
    zero = output.new_zeros(())
    parts = {"l1": F.l1_loss(output, target), "perceptual": zero, "style": zero, "adversarial": zero}
    if weights.lambda_perceptual > 0 or weights.lambda_style > 0:
        if features is None:
            raise ValueError("inpainting_loss: perceptual/style weights are > 0 but no VGG features module was given")
        out_feats = features(output)
        with torch.no_grad():
            target_feats = features(target)
        parts["perceptual"] = feature_loss(out_feats, target_feats)
        parts["style"] = style_loss(out_feats, target_feats)
    if weights.lambda_adversarial > 0:
        if adversarial_logits is None:
            raise ValueError("inpainting_loss: lambda_adversarial > 0 but no discriminator logits were given")
        parts["adversarial"] = (gan or GANLoss("lsgan"))(adversarial_logits, True)
    parts["total"] = weights.total(parts)
    return parts
