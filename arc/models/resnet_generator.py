"""T (real->synthetic translator, and its synthetic->real twin) and I (inpainter).

The CycleGAN ResNet generator: reflect-padded 7x7 conv, ``num_downsamples``
stride-2 convs (doubling the width each time), ``num_res_blocks`` residual
blocks, as many stride-2 transposed convs back up, a 7x7 conv and tanh.
InstanceNorm throughout (CycleGAN default). Output is in [-1, 1] like the
input images. I uses the same network and receives only the masked image.

``residual=True`` (a documented deviation for small budgets) predicts a correction added to the
input, ``clamp(x + G(x), -1, 1)``, with the last conv zero-initialised so the generator starts
as the identity: a translator trained for a few epochs then changes colours and tone instead of
re-synthesising (and blurring) the whole image. Only valid when in/out channels agree.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.models.layers import ResidualBlock, check_divisible, check_int_at_least, init_normal_
from arc.models.registry import register_model


def _norm_relu(channels: int) -> list[nn.Module]:
    return [nn.InstanceNorm2d(channels), nn.ReLU(inplace=True)]


@register_model("resnet_generator")
class ResnetGenerator(nn.Module):
    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        base_width: int = 64,
        num_downsamples: int = 2,
        num_res_blocks: int = 9,
        residual: bool = False,
    ):
        super().__init__()
        check_int_at_least("ResnetGenerator", 1, in_channels=in_channels, out_channels=out_channels,
                           base_width=base_width)
        check_int_at_least("ResnetGenerator", 0, num_downsamples=num_downsamples, num_res_blocks=num_res_blocks)
        if residual and in_channels != out_channels:
            raise ValueError(f"ResnetGenerator: residual=True needs in_channels == out_channels, got {in_channels} and {out_channels}")
        self.num_downsamples = num_downsamples
        self.residual = bool(residual)
        w = base_width
        # Convs followed by a norm have no bias (the norm removes the per-channel mean anyway).
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, w, 7, bias=False), *_norm_relu(w)]
        for i in range(num_downsamples):
            c = w * 2**i
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=False), *_norm_relu(2 * c)]
        c = w * 2**num_downsamples
        layers += [ResidualBlock(c, nn.InstanceNorm2d) for _ in range(num_res_blocks)]
        for i in range(num_downsamples):
            c = w * 2 ** (num_downsamples - i)
            layers += [
                nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1, bias=False),
                *_norm_relu(c // 2),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_normal_(self)
        if self.residual:
            last = layers[-2]
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x, 2**self.num_downsamples, "ResnetGenerator")
        if self.residual:
            return (x + self.model(x)).clamp(-1.0, 1.0)
        return self.model(x)
