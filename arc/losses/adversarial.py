"""GAN objectives: "bce" (CycleGAN PatchGAN for T) and "lsgan" (inpainting discriminators).

A discriminator may return several logit maps (GlobalLocalDiscriminator returns
(global, local)); the loss is then the SUM over maps, each averaged over its
own elements, so every discriminator counts fully.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

Logits = torch.Tensor | Sequence[torch.Tensor]


class GANLoss(nn.Module):
    MODES = ("bce", "lsgan")

    def __init__(self, mode: str = "bce"):
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f"GANLoss: mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def _single(self, logits: torch.Tensor, target_is_real: bool) -> torch.Tensor:
        target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
        if self.mode == "bce":
            return F.binary_cross_entropy_with_logits(logits, target)
        return F.mse_loss(logits, target)

    def forward(self, logits: Logits, target_is_real: bool) -> torch.Tensor:
        if isinstance(logits, torch.Tensor):
            return self._single(logits, target_is_real)
        if len(logits) == 0:
            raise ValueError("GANLoss: got an empty sequence of logits")
        return sum(self._single(item, target_is_real) for item in logits)


def discriminator_loss(gan: GANLoss, real_logits: Logits, fake_logits: Logits) -> torch.Tensor:
    """0.5 * (loss(real -> 1) + loss(fake -> 0)); compute ``fake_logits`` on detached fakes."""
    return 0.5 * (gan(real_logits, True) + gan(fake_logits, False))
