"""Conversions between stored arrays and network tensors (one place, used everywhere).

Conventions (from the authors' code):
- RGB uint8 HxWx3 -> float tensor 3xHxW in [-1, 1].
- Depth in metres (0 = invalid) -> network range [-1, 1] by clipping to
  [0, max_depth] and mapping linearly; the depth net ends in tanh.
"""

from __future__ import annotations

import numpy as np
import torch


def rgb_to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) or (N, H, W, 3) -> float32 (3, H, W) / (N, 3, H, W) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(rgb)).float().div_(127.5).sub_(1.0)
    return t.movedim(-1, -3)


def tensor_to_rgb(t: torch.Tensor) -> np.ndarray:
    """float (3, H, W) / (N, 3, H, W) in [-1, 1] -> uint8 (H, W, 3) / (N, H, W, 3)."""
    x = ((t.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).cpu().numpy()


def depth_to_unit(depth_m: torch.Tensor, max_depth: float) -> torch.Tensor:
    """Metres -> [-1, 1] (clipped at max_depth)."""
    return depth_m.clamp(0.0, max_depth).div(max_depth / 2.0).sub(1.0)


def unit_to_depth(unit: torch.Tensor, max_depth: float) -> torch.Tensor:
    """[-1, 1] -> metres in [0, max_depth]."""
    return unit.clamp(-1.0, 1.0).add(1.0).mul(max_depth / 2.0)
