"""Binary-mask relaxation for the attention module (ARC eq. 1).

A keep/remove decision per pixel with P(keep) = sigmoid(logit) is relaxed by
adding ONE logistic noise sample L = log(u) - log(1 - u), u ~ U(0, 1) (the
difference of two Gumbel samples, i.e. the binary Gumbel-softmax / Concrete),
and squashing with sigmoid(. / tau). As tau -> 0 the sample becomes the hard
decision 1[logit + L > 0], which is 1 with probability exactly sigmoid(logit).
"""

from __future__ import annotations

import torch

_UNIFORM_EPS = 1e-6  # keeps log(u) and log(1 - u) finite


def gumbel_sigmoid(
    logits: torch.Tensor, tau: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Soft, differentiable keep mask in (0, 1); pass ``generator`` for reproducible noise."""
    if not tau > 0:
        raise ValueError(f"gumbel_sigmoid: temperature tau must be > 0, got {tau!r}")
    # Noise is drawn in float32 (1 - eps is not representable in half precision) on the
    # generator's device, so a CPU generator also drives CUDA logits reproducibly.
    noise_device = generator.device if generator is not None else logits.device
    u = torch.rand(logits.shape, generator=generator, device=noise_device, dtype=torch.float32)
    u = u.clamp(_UNIFORM_EPS, 1.0 - _UNIFORM_EPS)
    noise = (torch.log(u) - torch.log1p(-u)).to(device=logits.device, dtype=logits.dtype)
    return torch.sigmoid((logits + noise) / tau)


def hard_mask(logits: torch.Tensor) -> torch.Tensor:
    """Evaluation mask: exactly 1.0 where logit >= 0 (keep), else 0.0. No gradient."""
    return (logits.detach() >= 0).to(logits.dtype)


def linear_temperature(step: int, total_steps: int, start: float = 0.9, end: float = 0.05) -> float:
    """tau decays linearly from ``start`` at step 0 to ``end`` at ``total_steps``, then stays."""
    if step < 0:
        raise ValueError(f"linear_temperature: step must be >= 0, got {step}")
    if not (start > 0 and end > 0):
        raise ValueError(f"linear_temperature: start and end must be > 0, got {start}, {end}")
    if total_steps <= 0 or step >= total_steps:
        return float(end)
    return float(start + (end - start) * (step / total_steps))
