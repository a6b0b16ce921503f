"""D as in the authors' code: their ``_UNetGenerator(input_nc=3, output_nc=1)`` (T2Net's U-Net;
models/depth_generator_networks.py), at any base width.

Widths w = base_width (64 in the paper): stem 7x7 3->w, AvgPool; encoder blocks w->2w->2w,
2w->4w->4w, 4w->8w->8w, each followed by AvgPool (input / 16); bottleneck: three inception
blocks of three dilated branches (1, 3, 5) on 8w, then a transposed-conv up-block 8w->4w.
The decoder emits a tanh depth map at every scale and FEEDS it on: with the skips scaled by
0.1, 0.05, 0.01 (their ``weight`` 0.1 times 1, 0.5, 0.1),
  output4 = out3x3(cat(c, 0.1 e3))                        (1/8)
  d3 = up(cat(c, 0.1 e3)); output3 = out3x3(cat(d3, 0.05 e2, up2(output4)))   (1/4)
  d2 = up(...);            output2 = out3x3(cat(d2, 0.01 e1, up2(output3)))   (1/2)
  d1 = up(...);            output1 = out7x7(cat(d1, up2(output2)))            (full)
with up2 = nearest x2 and the heads bias-free reflect-padded convs. One PReLU for the whole
network. Only output1 is supervised in ARC; ``forward`` returns it (B x 1 x H x W in [-1, 1]),
``forward_all`` returns the authors' list. State-dict keys are the authors' (conv1, conv2.model,
..., center, deconv4.model, output4.model, ...), so their weights load as they are.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.models.authors.blocks import (InceptionBlock, authors_init_, check_size, encoder_block, output_block, stem,
                                       up_transposed)
from arc.models.layers import PReLU, check_int_at_least
from arc.models.registry import register_model

SKIP_WEIGHT = 0.1  # their ``weight``; the three skips are scaled by weight * (1, 0.5, 0.1)


@register_model("authors_depth_unet")
class AuthorsDepthUNet(nn.Module):
    downsampling = 16  # four AvgPools: H and W must be multiples of 16

    def __init__(self, in_channels: int = 3, base_width: int = 64):
        super().__init__()
        check_int_at_least("AuthorsDepthUNet", 1, in_channels=in_channels)
        check_int_at_least("AuthorsDepthUNet", 2, base_width=base_width)
        w = base_width
        act = PReLU()
        self.pool = nn.AvgPool2d(2, 2)
        self.conv1 = stem(in_channels, w, act)
        self.conv2 = encoder_block(w, 2 * w, 2 * w, act)
        self.conv3 = encoder_block(2 * w, 4 * w, 4 * w, act)
        self.conv4 = encoder_block(4 * w, 8 * w, 8 * w, act)
        self.center = nn.Sequential(*[InceptionBlock(8 * w, 3, act) for _ in range(3)], up_transposed(8 * w, 8 * w, 4 * w, act))
        self.deconv4 = up_transposed(8 * w, 8 * w, 2 * w, act)
        self.deconv3 = up_transposed(4 * w + 1, 4 * w, w, act)
        self.deconv2 = up_transposed(2 * w + 1, 2 * w, w // 2, act)
        self.output4 = output_block(8 * w, 1, 3)
        self.output3 = output_block(4 * w + 1, 1, 3)
        self.output2 = output_block(2 * w + 1, 1, 3)
        self.output1 = output_block(w // 2 + 1, 1, 7)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        authors_init_(self)

    @property
    def bottleneck(self) -> nn.Module:
        """The last inception block: its output (8w channels at 1/16) is what T2Net's feature
        discriminator sees (arc/training/stages/t2net.py hooks ``depth.bottleneck``)."""
        return self.center[2]

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The authors' return value: [bottleneck input e4, center output, output4 (1/8),
        output3 (1/4), output2 (1/2), output1 (full)]."""
        check_size(x, self.downsampling, "AuthorsDepthUNet")
        e1 = self.pool(self.conv1(x))
        e2 = self.pool(self.conv2(e1))
        e3 = self.pool(self.conv3(e2))
        e4 = self.pool(self.conv4(e3))
        c = self.center(e4)
        skip = torch.cat([c, e3 * SKIP_WEIGHT], 1)
        d3, out4 = self.deconv4(skip), self.output4(skip)
        skip = torch.cat([d3, e2 * SKIP_WEIGHT * 0.5, self.upsample(out4)], 1)
        d2, out3 = self.deconv3(skip), self.output3(skip)
        skip = torch.cat([d2, e1 * SKIP_WEIGHT * 0.1, self.upsample(out3)], 1)
        d1, out2 = self.deconv2(skip), self.output2(skip)
        out1 = self.output1(torch.cat([d1, self.upsample(out2)], 1))
        return [e4, c, out4, out3, out2, out1]

    def forward_scales(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The four depth maps, coarsest (1/8) first, full resolution last."""
        return self.forward_all(x)[2:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)[-1]
