"""KL sparsity term on the attention mask (ARC eq. 2). rho = fraction of pixels KEPT."""

from __future__ import annotations

import math
import numbers

import torch

from arc.errors import ConfigError

# The batch keep rate is clamped into [eps, 1 - eps] so log(m) and log(1 - m) stay finite.
KEEP_RATE_EPS = 1e-6


def check_rho(rho: object, key: str = "rho") -> float:
    """Return rho as a float, or raise ConfigError naming ``key`` unless 0 < rho < 1."""
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or math.isnan(float(rho)):
        raise ConfigError(f"{key} = {rho!r}: expected a number strictly between 0 and 1 (fraction of pixels kept)")
    if not 0.0 < float(rho) < 1.0:
        raise ConfigError(
            f"{key} = {rho!r} is out of range: expected 0 < {key} < 1 (fraction of pixels kept; "
            "the KL term is undefined at 0 and 1, use e.g. 0.99999 for 'keep almost everything')"
        )
    return float(rho)


def kl_sparsity(mask: torch.Tensor, rho: float, key: str = "rho", per_image: bool = False) -> torch.Tensor:
    """rho*log(rho/m) + (1-rho)*log((1-rho)/(1-m)), m = mean keep rate over the whole batch.

    ``per_image=True`` averages the term over each image's own keep rate instead, so every
    image must remove its share (the batch form lets some images keep everything).
    """
    rho = check_rho(rho, key)
    mask = mask.float()  # float32: 1 - eps must not round to 1
    m = mask.flatten(1).mean(1) if per_image else mask.mean()
    m = m.clamp(KEEP_RATE_EPS, 1.0 - KEEP_RATE_EPS)
    return (rho * torch.log(rho / m) + (1.0 - rho) * torch.log((1.0 - rho) / (1.0 - m))).mean()
