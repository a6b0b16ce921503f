"""Loss terms of the domain-adaptation peers (T2Net, CrDoCo, GASDA) that ARC's own stages lack.

- ``edge_aware_smoothness(depth, image)``: T2Net/GASDA's smoothness prior on real images,
      mean |d_x D| * exp(-mean_c |d_x I|) + mean |d_y D| * exp(-mean_c |d_y I|),
  so depth may change where the image has an edge and is pushed flat elsewhere.
- ``consistency_l1(a, b, valid=None)``: mean |a - b| between two depth predictions of the same
  real image (CrDoCo's cross-domain and GASDA's cross-branch consistency). CrDoCo's code sums the
  absolute differences (torch.dist); the mean keeps the weight independent of the image size.
- ``clip_weights_(module, bound)``: T2Net clips its feature discriminator's weights after each
  update (a WGAN-style clip, kept although its loss is least squares).

The adversarial terms use ``arc.losses.adversarial.GANLoss`` and the depth terms
``arc.losses.depth.masked_l1``.
"""

from __future__ import annotations

import torch
import torch.nn as nn


def _check_pair(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape[0] != b.shape[0] or a.shape[-2:] != b.shape[-2:]:
        raise ValueError(f"{what}: shapes {tuple(a.shape)} and {tuple(b.shape)} differ in batch or image size")


def edge_aware_smoothness(depth: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Edge-aware first-order smoothness of ``depth`` (Bx1xHxW) guided by ``image`` (BxCxHxW)."""
    _check_pair(depth, image, "edge_aware_smoothness")
    depth, image = depth.float(), image.float()
    depth_dx = (depth[..., :, 1:] - depth[..., :, :-1]).abs()
    depth_dy = (depth[..., 1:, :] - depth[..., :-1, :]).abs()
    image_dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean(dim=1, keepdim=True)
    image_dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean(dim=1, keepdim=True)
    return (depth_dx * torch.exp(-image_dx)).mean() + (depth_dy * torch.exp(-image_dy)).mean()


def consistency_l1(a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean |a - b| (over ``valid`` pixels when given); both predictions receive gradients."""
    if a.shape != b.shape:
        raise ValueError(f"consistency_l1: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    diff = (a.float() - b.float()).abs()
    if valid is None:
        return diff.mean()
    valid = valid.to(torch.bool).expand_as(diff)
    return torch.where(valid, diff, torch.zeros_like(diff)).sum() / valid.sum().clamp(min=1)


@torch.no_grad()
def clip_weights_(module: nn.Module, bound: float) -> None:
    """Clamp every parameter of ``module`` to [-bound, bound] in place (bound 0 = no clip)."""
    if bound < 0:
        raise ValueError(f"clip_weights_: bound must be >= 0, got {bound}")
    if bound == 0:
        return
    for param in module.parameters():
        param.clamp_(-bound, bound)
