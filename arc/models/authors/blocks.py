"""Building blocks of the authors' networks (their models/*.py helpers, rewritten).

Shared by D, A, T and I: BatchNorm (affine), no conv bias before a BatchNorm, ONE PReLU module
per network (the authors build a single activation and hand it to every block, so the whole
network learns one slope), reflection padding except inside the encoder blocks (zero padding).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.models.layers import init_normal_


def authors_init_(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The authors' ``init_weights(net, init_type='normal', gain=0.02)``.

    Conv, transposed-conv and Linear weights ~ N(0, std), their biases 0; BatchNorm biases 0
    and scales ~ U(0.02, 1). The authors wrote ``init.uniform_(w, 1.0, gain)``: torch >= 1.5
    rejects low > high, but their torch 1.x computed ``low + (high - low) * u`` with u ~ U(0, 1)
    without a check (TH's uniform and the CUDA kernel alike), i.e. values in (0.02, 1.0]; this
    draws the same distribution with the bounds in order. PReLU slopes keep torch's 0.25.
    Uses the global torch RNG: seed before building. (No affine InstanceNorm occurs in them.)
    """
    return init_normal_(module, std, norm_scale_range=(std, 1.0))


class ReflectPad(nn.Module):
    """``nn.ReflectionPad2d(pad)``, falling back to zero padding on maps of ``pad`` pixels or fewer.

    Reflection needs pad < size; the authors' dilated bottleneck convs (pad 5) only meet such
    maps below their input sizes (e.g. 3x4 at 48x64), where this keeps the network usable. At
    the authors' sizes it is exactly ReflectionPad2d. Holds no state."""

    def __init__(self, pad: int):
        super().__init__()
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.pad
        mode = "reflect" if min(x.shape[-2:]) > p else "constant"
        return F.pad(x, (p, p, p, p), mode=mode)


def stem(c_in: int, c_out: int, act: nn.Module) -> nn.Sequential:
    """Reflect-pad 7x7 conv, BN, act (full resolution)."""
    return nn.Sequential(ReflectPad(3), nn.Conv2d(c_in, c_out, 7, bias=False), nn.BatchNorm2d(c_out), act)


class Block(nn.Module):
    """A Sequential under the attribute ``model``: the authors' small block classes, so the
    state_dict keys (``<block>.model.<i>.*``) are theirs."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def encoder_block(c_in: int, c_mid: int, c_out: int, act: nn.Module) -> Block:
    """Their _EncoderBlock: two zero-padded 3x3 conv + BN + act."""
    return Block(
        nn.Conv2d(c_in, c_mid, 3, padding=1, bias=False), nn.BatchNorm2d(c_mid), act,
        nn.Conv2d(c_mid, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), act,
    )


class InceptionBlock(nn.Module):
    """``branches`` parallel reflect-padded 3x3 convs with dilations 1, 3, 5, ...; BN + act over
    their concatenation; a reflect-padded 3x3 fuse conv + BN; act(x + that). With one branch it
    is the residual block of A, T and I. Attribute names follow their state_dict (layer<i>,
    norm1, norm2, branch1x1)."""

    def __init__(self, channels: int, branches: int, act: nn.Module):
        super().__init__()
        self.branches = branches
        for i in range(branches):
            d = 2 * i + 1
            self.add_module(f"layer{i}", nn.Sequential(ReflectPad(d), nn.Conv2d(channels, channels, 3, dilation=d, bias=False)))
        self.norm1 = nn.BatchNorm2d(channels * branches)
        self.norm2 = nn.BatchNorm2d(channels)
        self.nonlinearity = act
        self.branch1x1 = nn.Sequential(ReflectPad(1), nn.Conv2d(channels * branches, channels, 3, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([self.get_submodule(f"layer{i}")(x) for i in range(self.branches)], dim=1)
        y = self.norm2(self.branch1x1(self.nonlinearity(self.norm1(y))))
        return self.nonlinearity(y + x)


def up_transposed(c_in: int, c_mid: int, c_out: int, act: nn.Module) -> Block:
    """Their _DecoderUpBlock: reflect 3x3 conv + BN + act, 3x3 stride-2 transposed conv (with
    bias) + BN + act: doubles the resolution."""
    return Block(
        ReflectPad(1), nn.Conv2d(c_in, c_mid, 3, bias=False), nn.BatchNorm2d(c_mid), act,
        nn.ConvTranspose2d(c_mid, c_out, 3, stride=2, padding=1, output_padding=1), nn.BatchNorm2d(c_out), act,
    )


def up_bilinear(c_in: int, c_mid: int, c_out: int, act: nn.Module) -> Block:
    """Their _DecoderUpBlock_Upsampling: reflect 3x3 conv + BN + act, bilinear x2
    (align_corners False, torch's default since 0.4), reflect 3x3 conv (with bias) + BN + act."""
    return Block(
        ReflectPad(1), nn.Conv2d(c_in, c_mid, 3, bias=False), nn.BatchNorm2d(c_mid), act,
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        ReflectPad(1), nn.Conv2d(c_mid, c_out, 3), nn.BatchNorm2d(c_out), act,
    )


def output_block(c_in: int, c_out: int, kernel: int) -> Block:
    """Their _OutputBlock: reflect-padded conv without bias, tanh."""
    return Block(ReflectPad(kernel // 2), nn.Conv2d(c_in, c_out, kernel, bias=False), nn.Tanh())


def check_size(x: torch.Tensor, factor: int, network: str) -> None:
    h, w = x.shape[-2:]
    if h % factor or w % factor:
        raise ValueError(f"{network}: input height x width {h}x{w} must both be divisible by {factor} "
                         f"(the authors' network pools {factor.bit_length() - 1} times)")
