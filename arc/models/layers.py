"""Building blocks shared by several networks (init, residual block, size checks)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd.function import once_differentiable


def init_normal_(module: nn.Module, std: float = 0.02, norm_scale_range: tuple[float, float] | None = None) -> nn.Module:
    """CycleGAN's init (its ``init_weights(..., 'normal', 0.02)``): conv weights ~ N(0, std),
    norm scales ~ N(1, std), biases 0. The project's networks use it. The authors' ARC/T2Net
    code draws BatchNorm scales from U(0.02, 1) instead (their ``uniform_(w, 1.0, 0.02)``);
    ``norm_scale_range`` = (low, high) draws them uniformly, as the authors' variants do
    (arc.models.authors.blocks.authors_init_).

    Uses the global torch RNG, so seed before building a network for reproducible weights.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            if norm_scale_range is None:
                nn.init.normal_(m.weight, 1.0, std)
            else:
                nn.init.uniform_(m.weight, *norm_scale_range)
            nn.init.zeros_(m.bias)
    return module


class _SharedPReLUFunction(torch.autograd.Function):
    """PReLU with one shared slope: ATen's forward, a faster CPU backward with the same result.

    ATen's CPU backward writes a per-element slope gradient and then sums it (about 3x slower
    than the output). Here the input gradient is ``leaky_relu_backward`` (the same
    ``x > 0 ? g : w * g``) and the slope gradient is the sum of ``min(x, 0) * g``; both are
    bit-identical to ATen's (tests/test_models_depth_unet.py checks it)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        return torch.prelu(x, weight)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = torch.ops.aten.leaky_relu_backward(grad, x, weight.item(), False) if ctx.needs_input_grad[0] else None
        grad_w = torch.sum(x.clamp(max=0).mul_(grad)).reshape(weight.shape) if ctx.needs_input_grad[1] else None
        return grad_x, grad_w


class PReLU(nn.PReLU):
    """``nn.PReLU`` (same parameters and state_dict) whose backward is faster on CPU for a shared slope."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.num_parameters == 1 and x.device.type == "cpu" and torch.is_grad_enabled():
            return _SharedPReLUFunction.apply(x, self.weight)
        return F.prelu(x, self.weight)


class ResidualBlock(nn.Module):
    """Two reflect-padded 3x3 convs with a skip connection (CycleGAN ResnetBlock)."""

    def __init__(self, channels: int, norm: type[nn.Module]):
        super().__init__()
        # No conv biases: the following norm subtracts the per-channel mean, cancelling them.
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def check_divisible(x: torch.Tensor, factor: int, network: str) -> None:
    """Encoder-decoders need H and W divisible by 2**num_downsamples to come back to size."""
    h, w = x.shape[-2:]
    if h % factor or w % factor:
        raise ValueError(
            f"{network}: input height x width {h}x{w} must both be divisible by {factor} "
            f"(2**num_downsamples); resize/crop the input or lower num_downsamples"
        )


def check_int_at_least(network: str, minimum: int, **values: int) -> None:
    """Reject widths/depths that are not integers >= minimum, naming the setting."""
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{network}: {key} must be an integer >= {minimum}, got {value!r}")
