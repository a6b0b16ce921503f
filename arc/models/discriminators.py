"""Discriminators: the PatchGAN for CycleGAN (T) and a global + local pair for I.

PatchDiscriminator is CycleGAN's NLayerDiscriminator: 4x4 convs, LeakyReLU 0.2,
InstanceNorm, ending in a map of raw logits (one per overlapping patch).

GlobalLocalDiscriminator (Iizuka et al. 2017 style, LSGAN loss in ARC):
- global: a PatchGAN with 3 layers on the whole image;
- local: a PatchGAN with 2 layers on the bounding box of the hole, cropped
  per sample and resized (bilinear) to half the image size, so it judges the
  filled-in region at a fixed scale whatever the hole size. Cropping (rather
  than multiplying the image by the hole mask) keeps the mask shape itself
  out of what the discriminator sees, so it cannot tell real from fake by
  the hole silhouette. ``hole_mask`` is Bx1xHxW with 1 = hole (i.e. 1 - M);
  a sample without any hole pixel (> 0.5) uses the whole image. Pass the SAME
  hole masks for real and fake batches so the crops are statistically alike.
Inputs must be at least 3 * 2**num_layers pixels high and wide (24 for the
global+local pair).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.models.layers import check_int_at_least, init_normal_
from arc.models.registry import register_model


def _patchgan_layers(in_channels: int, base_width: int, num_layers: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(in_channels, base_width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    width = base_width
    for n in range(1, num_layers):
        next_width = base_width * min(2**n, 8)
        layers += [nn.Conv2d(width, next_width, 4, stride=2, padding=1, bias=False), nn.InstanceNorm2d(next_width), nn.LeakyReLU(0.2, True)]
        width = next_width
    next_width = base_width * min(2**num_layers, 8)
    layers += [nn.Conv2d(width, next_width, 4, stride=1, padding=1, bias=False), nn.InstanceNorm2d(next_width), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(next_width, 1, 4, stride=1, padding=1)]
    return nn.Sequential(*layers)


def _check_size(x: torch.Tensor, num_layers: int, network: str) -> None:
    # num_layers stride-2 convs, then two 4x4 stride-1 convs that each shrink the map by 1.
    h, w = x.shape[-2:]
    if min(h, w) // 2**num_layers < 3:
        raise ValueError(
            f"{network}: input {h}x{w} is too small for {num_layers} downsampling layers "
            f"(need height and width >= {3 * 2**num_layers})"
        )


@register_model("patch_discriminator")
class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, base_width: int = 64, num_layers: int = 3):
        super().__init__()
        check_int_at_least("PatchDiscriminator", 1, in_channels=in_channels, base_width=base_width,
                           num_layers=num_layers)
        self.num_layers = num_layers
        self.model = _patchgan_layers(in_channels, base_width, num_layers)
        init_normal_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_size(x, self.num_layers, "PatchDiscriminator")
        return self.model(x)


def crop_hole_regions(x: torch.Tensor, hole_mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Per sample, crop the bounding box of hole pixels (> 0.5) and resize it to ``size``."""
    if hole_mask.shape[0] != x.shape[0] or hole_mask.shape[-2:] != x.shape[-2:]:
        raise ValueError(f"hole_mask shape {tuple(hole_mask.shape)} does not match images {tuple(x.shape)}")
    crops = []
    holes = hole_mask.detach().reshape(x.shape[0], -1, *x.shape[-2:]).amax(dim=1) > 0.5
    for image, hole in zip(x, holes):
        rows = torch.nonzero(hole.any(dim=1)).flatten()
        cols = torch.nonzero(hole.any(dim=0)).flatten()
        if rows.numel() == 0:
            region = image
        else:
            region = image[:, int(rows[0]) : int(rows[-1]) + 1, int(cols[0]) : int(cols[-1]) + 1]
        crops.append(F.interpolate(region[None], size=size, mode="bilinear", align_corners=False))
    return torch.cat(crops, dim=0)


@register_model("global_local_discriminator")
class GlobalLocalDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, base_width: int = 64):
        super().__init__()
        check_int_at_least("GlobalLocalDiscriminator", 1, in_channels=in_channels, base_width=base_width)
        # Same PatchGAN blocks (InstanceNorm: per-sample statistics, real and fake never mix).
        self.global_net = _patchgan_layers(in_channels, base_width, 3)
        self.local_net = _patchgan_layers(in_channels, base_width, 2)
        init_normal_(self)

    def forward(self, x: torch.Tensor, hole_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_size(x, 3, "GlobalLocalDiscriminator")
        h, w = x.shape[-2:]
        local = crop_hole_regions(x, hole_mask, (max(h // 2, 16), max(w // 2, 16)))
        return self.global_net(x), self.local_net(local)


@register_model("feature_discriminator")
class FeatureDiscriminator(nn.Module):
    """T2Net's feature-level discriminator: an MLP on the flattened bottleneck of D
    (Linear -> PReLU -> Linear -> PReLU -> Linear -> 1 logit). The published MLP hard-codes the
    bottleneck size of a 192x640 input; here it is given by ``in_channels, height, width``."""

    def __init__(self, in_channels: int, height: int, width: int, hidden_width: int = 512):
        super().__init__()
        check_int_at_least("FeatureDiscriminator", 1, in_channels=in_channels, height=height, width=width,
                           hidden_width=hidden_width)
        self.shape = (in_channels, height, width)
        self.model = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * height * width, hidden_width),
            nn.PReLU(),
            nn.Linear(hidden_width, hidden_width),
            nn.PReLU(),
            nn.Linear(hidden_width, 1),
        )
        init_normal_(self)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if tuple(features.shape[1:]) != self.shape:
            raise ValueError(
                f"FeatureDiscriminator: expected features of shape (B, {', '.join(map(str, self.shape))}), "
                f"got {tuple(features.shape)}"
            )
        return self.model(features)
