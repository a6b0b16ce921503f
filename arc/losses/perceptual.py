"""Perceptual (feature reconstruction) and style (Gram) losses, ARC eqs. 5-7.

Both are sums over the VGG layers of a mean absolute difference (the paper's
L1 norm, averaged over elements so layers of different sizes weigh alike).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def gram_matrix(feat: torch.Tensor) -> torch.Tensor:
    """B x C x H x W -> B x C x C, R R^T / (C H W) with R the C x (H W) reshape (eq. 7)."""
    if feat.dim() != 4:
        raise ValueError(f"gram_matrix: expected B x C x H x W features, got shape {tuple(feat.shape)}")
    b, c, h, w = feat.shape
    r = feat.float().reshape(b, c, h * w)  # float32: sums of H*W products overflow half precision
    return torch.bmm(r, r.transpose(1, 2)) / (c * h * w)


def _check_pairs(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor], name: str) -> None:
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"{name}: need the same non-zero number of feature maps, got {len(a)} and {len(b)}")


def feature_loss(features: Sequence[torch.Tensor], target_features: Sequence[torch.Tensor]) -> torch.Tensor:
    """sum_k mean |phi_k(output) - phi_k(target)| (eq. 5)."""
    _check_pairs(features, target_features, "feature_loss")
    return sum(F.l1_loss(f, t) for f, t in zip(features, target_features))


def style_loss(features: Sequence[torch.Tensor], target_features: Sequence[torch.Tensor]) -> torch.Tensor:
    """sum_k mean |Gram(phi_k(output)) - Gram(phi_k(target))| (eq. 6)."""
    _check_pairs(features, target_features, "style_loss")
    return sum(F.l1_loss(gram_matrix(f), gram_matrix(t)) for f, t in zip(features, target_features))
