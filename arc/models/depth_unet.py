"""D: the depth predictor, a T2Net-style U-Net (Zheng et al. 2018, used by ARC).

Structure (num_downsamples = n, widths c_k = base_width * min(2**(k-1), 8)):
  stem 7x7 conv at full resolution -> AvgPool        -> e_1  (c_1, 1/2)
  encoder block k = 2..n: two 3x3 convs -> AvgPool    -> e_k  (c_k, 1/2**k)
  bottleneck: num_inception_blocks dilated "inception" blocks on e_n,
              then an up-block to 1/2**(n-1)
  decoder k = n-1..1: up-block(cat(d_k, s_k * e_k)) -> 1/2**(k-1)
  output: 3x3 conv -> 1 channel, tanh (depth in [-1, 1]).
The skip features are scaled down (0.1, 0.05, 0.01 from the deepest skip
outwards, as in T2Net) so the decoder leans on the bottleneck instead of
copying image texture into depth.
All convs use BatchNorm + PReLU; weights are initialised N(0, 0.02), BatchNorm
scales N(1, 0.02).

This is the project's variant (``models.depth.arch: project``). The authors' D
(``arch: authors``, arc/models/authors/depth_unet.py) differs: it reflect-pads the
inception and up-blocks (here zero padding, so dilated convs also run on tiny
bottleneck maps); its coarse tanh outputs at 1/8, 1/4, 1/2 are fed into the next
decoder stage and the head (here there are none); its head is a bias-free 7x7 conv
on w/2 + 1 channels (here 3x3 with bias on w/2); one PReLU is shared by the whole
network (here one per layer); its BatchNorm scales start U(0.02, 1). Here the depth
(num_downsamples) and the number of inception blocks are settings; theirs are fixed
at 4 and 3 (three dilated branches each). See docs/deviations.md ("## Networks").
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.models.layers import PReLU, check_divisible, check_int_at_least, init_normal_
from arc.models.registry import register_model

SKIP_SCALES = (0.1, 0.05, 0.01)  # deepest skip first; further skips reuse the last value
INCEPTION_DILATIONS = (1, 3, 5)


def _conv_bn_prelu(c_in: int, c_out: int, kernel: int = 3, dilation: int = 1) -> list[nn.Module]:
    # Zero padding (not reflect) so dilated convs also work on tiny bottleneck maps.
    pad = dilation * (kernel // 2)
    return [
        nn.Conv2d(c_in, c_out, kernel, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(c_out),
        PReLU(),
    ]


class InceptionBlock(nn.Module):
    """Parallel dilated 3x3 convs, fused by a 3x3 conv, added to the input (T2Net)."""

    def __init__(self, channels: int, dilations: tuple[int, ...] = INCEPTION_DILATIONS):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*_conv_bn_prelu(channels, channels, dilation=d)) for d in dilations
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(channels * len(dilations), channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.activation = PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = torch.cat([branch(x) for branch in self.branches], dim=1)
        return self.activation(x + self.fuse(branches))


class UpBlock(nn.Module):
    """3x3 conv then a stride-2 transposed conv: doubles the resolution."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn_prelu(c_in, c_in),
            nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            PReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


@register_model("depth_unet")
class DepthUNet(nn.Module):
    def __init__(
        self,
        in_channels: int = 3,
        base_width: int = 64,
        num_downsamples: int = 4,
        num_inception_blocks: int = 3,
    ):
        super().__init__()
        check_int_at_least("DepthUNet", 1, in_channels=in_channels, base_width=base_width,
                           num_downsamples=num_downsamples)
        check_int_at_least("DepthUNet", 0, num_inception_blocks=num_inception_blocks)
        self.num_downsamples = num_downsamples
        n = num_downsamples
        widths = [max(base_width // 2, 1)] + [base_width * min(2 ** (k - 1), 8) for k in range(1, n + 1)]
        self.pool = nn.AvgPool2d(2, 2)
        self.stem = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, widths[1], 7, bias=False),
            nn.BatchNorm2d(widths[1]),
            PReLU(),
        )
        self.encoders = nn.ModuleList(
            nn.Sequential(*_conv_bn_prelu(widths[k - 1], widths[k]), *_conv_bn_prelu(widths[k], widths[k]))
            for k in range(2, n + 1)
        )
        self.bottleneck = nn.Sequential(*[InceptionBlock(widths[n]) for _ in range(num_inception_blocks)])
        self.bottleneck_up = UpBlock(widths[n], widths[n - 1])
        # decoders[i] handles level k = n-1-i: input cat(d_k, skip e_k) = 2 c_k -> c_{k-1}
        self.decoders = nn.ModuleList(UpBlock(2 * widths[k], widths[k - 1]) for k in range(n - 1, 0, -1))
        self.skip_scales = [SKIP_SCALES[min(i, len(SKIP_SCALES) - 1)] for i in range(n - 1)]
        self.head = nn.Sequential(nn.Conv2d(widths[0], 1, 3, padding=1), nn.Tanh())
        init_normal_(self)
        # channels_last (NHWC) weights and activations: about 20 % less CPU per training step at
        # the demo size (oneDNN's NHWC convolutions); the values differ from NCHW only in float
        # summation order. Module.to() and load_state_dict keep the layout.
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_divisible(x, 2**self.num_downsamples, "DepthUNet")
        x = x.contiguous(memory_format=torch.channels_last)
        skips = [self.pool(self.stem(x))]
        for encoder in self.encoders:
            skips.append(self.pool(encoder(skips[-1])))
        d = self.bottleneck_up(self.bottleneck(skips[-1]))
        for i, decoder in enumerate(self.decoders):
            skip = skips[-2 - i]
            d = decoder(torch.cat([d, skip * self.skip_scales[i]], dim=1))
        return self.head(d)
