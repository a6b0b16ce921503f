"""Depth regression loss: L1 over valid pixels only (depth 0 = no measurement)."""

from __future__ import annotations

import torch


def masked_l1(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean |pred - target| over pixels where ``valid`` is true.

    With no valid pixel the loss is an exact 0 that still depends on ``pred``
    (so ``backward`` works and gives zero gradients) instead of NaN.
    """
    if pred.shape != target.shape:
        raise ValueError(f"masked_l1: pred shape {tuple(pred.shape)} != target shape {tuple(target.shape)}")
    valid = valid.to(torch.bool).expand_as(pred) if valid.shape != pred.shape else valid.to(torch.bool)
    count = valid.sum()
    diff = torch.where(valid, (pred - target).abs(), torch.zeros_like(pred))
    return diff.sum() / count.clamp(min=1)
