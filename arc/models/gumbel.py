"""Binary-mask relaxation for the attention module.

The soft mask is sigmoid((logit + noise) / tau) with one noise sample per pixel (or cell):

- ``noise="gumbel"`` (ARC eq. 1 and the authors' code): ONE Gumbel sample G = -log(-log u),
  u ~ U(0, 1). As tau -> 0 the mask is 1[logit + G > 0]; at logit 0, P(keep) = 1 - 1/e ~ 0.632.
- ``noise="logistic"`` (the project's default): L = log(u) - log(1 - u), the difference of two
  Gumbel samples (binary Concrete). As tau -> 0, P(keep) = sigmoid(logit) exactly (0.5 at logit 0).
"""

from __future__ import annotations

import torch

_UNIFORM_EPS = 1e-6  # keeps log(u) and log(1 - u) finite
NOISES = ("logistic", "gumbel")


def gumbel_sigmoid(
    logits: torch.Tensor, tau: float, generator: torch.Generator | None = None, noise_cell: int = 1, noise: str = "logistic",
    fp32: bool = False,
) -> torch.Tensor:
    """Soft, differentiable keep mask in (0, 1); pass ``generator`` for reproducible noise.

    ``fp32=True`` computes the mask in float32 whatever the logits' dtype: under bf16 autocast a
    bf16 mask rounds keep probabilities above ~0.998 to exactly 1, where sigmoid's gradient
    y (1 - y) is 0 (training.attention.mask_fp32). The mask then stays float32, so what it
    multiplies is promoted to float32 too.

    ``noise_cell > 1`` draws one noise sample per cell of noise_cell x noise_cell pixels (nearest
    upsampling), so a sample keeps or removes whole regions, as a removal of clutter does, while
    every pixel's keep probability stays sigmoid(logit).
    """
    if not tau > 0:
        raise ValueError(f"gumbel_sigmoid: temperature tau must be > 0, got {tau!r}")
    if int(noise_cell) < 1:
        raise ValueError(f"gumbel_sigmoid: noise_cell must be >= 1, got {noise_cell!r}")
    if noise not in NOISES:
        raise ValueError(f"gumbel_sigmoid: noise must be one of {NOISES}, got {noise!r}")
    # Noise is drawn in float32 (1 - eps is not representable in half precision) on the
    # generator's device, so a CPU generator also drives CUDA logits reproducibly.
    noise_device = generator.device if generator is not None else logits.device
    shape = logits.shape
    if noise_cell > 1:
        shape = (*logits.shape[:-2], -(-logits.shape[-2] // noise_cell), -(-logits.shape[-1] // noise_cell))
    u = torch.rand(shape, generator=generator, device=noise_device, dtype=torch.float32)
    u = u.clamp(_UNIFORM_EPS, 1.0 - _UNIFORM_EPS)
    sample = -torch.log(-torch.log(u)) if noise == "gumbel" else torch.log(u) - torch.log1p(-u)
    if noise_cell > 1:
        sample = sample.repeat_interleave(noise_cell, -2).repeat_interleave(noise_cell, -1)
        sample = sample[..., : logits.shape[-2], : logits.shape[-1]]
    if fp32:
        return torch.sigmoid((logits.float() + sample.to(logits.device)) / tau)
    sample = sample.to(device=logits.device, dtype=logits.dtype)
    return torch.sigmoid((logits + sample) / tau)


def hard_mask(logits: torch.Tensor) -> torch.Tensor:
    """Evaluation mask: exactly 1.0 where logit >= 0 (keep), else 0.0. No gradient."""
    return (logits.detach() >= 0).to(logits.dtype)


def quantile_hard_mask(logits: torch.Tensor, keep_fraction: float) -> torch.Tensor:
    """Per-image hard mask keeping the ``keep_fraction`` highest logits of each image (ties kept)."""
    flat = logits.detach().flatten(1).float()
    n_remove = int(round((1.0 - keep_fraction) * flat.shape[1]))
    if n_remove <= 0:
        return torch.ones_like(logits)
    cutoff = flat.kthvalue(n_remove, dim=1).values.view(-1, *([1] * (logits.dim() - 1)))
    return (logits.detach().float() > cutoff).to(logits.dtype)


def evaluation_mask(attention, logits: torch.Tensor) -> torch.Tensor:
    """The hard mask of ``attention`` under its recorded rule (see AttentionNet.test_keep_fraction)."""
    rule = getattr(attention, "keep_fraction_rule", None)
    fraction = rule() if rule is not None else None
    if fraction is None:
        return hard_mask(logits)
    return quantile_hard_mask(logits, fraction)


def linear_temperature(step: int, total_steps: int, start: float = 0.9, end: float = 0.05) -> float:
    """tau decays linearly from ``start`` at step 0 to ``end`` at ``total_steps``, then stays."""
    if step < 0:
        raise ValueError(f"linear_temperature: step must be >= 0, got {step}")
    if not (start > 0 and end > 0):
        raise ValueError(f"linear_temperature: start and end must be > 0, got {start}, {end}")
    if total_steps <= 0 or step >= total_steps:
        return float(end)
    return float(start + (end - start) * (step / total_steps))
