"""One call for I's stage to score images with either inpainting discriminator.

The stage always holds A's KEEP mask M (1 = kept pixel); the discriminators differ in the mask
they take:
- the project's GlobalLocalDiscriminator takes the HOLE mask 1 - M (it crops the hole's box for
  its local branch) and returns (global map, local map);
- the authors' AuthorsGlobalLocalDiscriminator (models.inpaint_discriminator.arch: authors)
  returns B x 1 logits; their code feeds it M itself (train_inpainting_module_I.py:269).
With ``authors_masks`` (training.inpainting.losses: authors) the authors' D gets M. Without it
every D gets 1 - M, today's paper-losses behaviour, kept so that existing presets (demo-authors
uses the authors' D with the paper losses) reproduce their numbers.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.losses.adversarial import Logits
from arc.models.authors.discriminators import AuthorsGlobalLocalDiscriminator


class InpaintCritic:
    def __init__(self, net: nn.Module, authors_masks: bool = False):
        self.net = net
        self.takes_keep_mask = authors_masks and isinstance(net, AuthorsGlobalLocalDiscriminator)

    def __call__(self, images: torch.Tensor, keep_mask: torch.Tensor) -> Logits:
        return self.net(images, keep_mask if self.takes_keep_mask else 1.0 - keep_mask)
