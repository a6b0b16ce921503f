"""A, T and I as in the authors' code: one encoder-decoder body, two heads.

Body (w = base_width, 64 in the paper): reflect-pad 7x7 conv 3->w + BN + act; encoder blocks
w->2w->2w and 2w->2w->2w (two zero-padded 3x3 conv + BN + act), each followed by AvgPool
(to 1/4; width capped at 2w); ``num_res_blocks`` residual blocks (one reflect 3x3 conv + BN
+ act, a reflect 3x3 conv + BN, act after the addition; 4 = their ``n_blocks=6`` minus their two downsamplings); two
decoder stages, each reflect 3x3 conv + BN + act, bilinear x2, reflect 3x3 conv + BN + act
(2w->2w->2w, 2w->2w->w). One PReLU for the whole network.
- ``authors_attention`` (their ``_Attention_FullRes(3, 1)``): 1x1 conv w->1 with bias: raw keep
  logits (no sigmoid), like the project's A, with the same ``test_keep_fraction`` rule buffer.
- ``authors_generator`` (their ``_ResGenerator_Upsample(3, 3)``, both T and I): reflect-pad 7x7
  conv w->3 with bias, tanh: images in [-1, 1].
``forward`` returns the last tensor of the authors' list; ``forward_all`` the list
[encoder features, (decoder features for A,) output]. Keys are theirs (encoder.*, decoder.*,
final_proj.* for A). H and W must be multiples of 4.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.models.attention import TestMaskRule
from arc.models.authors.blocks import InceptionBlock, ReflectPad, authors_init_, check_size, encoder_block, stem, up_bilinear
from arc.models.layers import PReLU, check_int_at_least
from arc.models.registry import register_model


def _body(network: str, in_channels: int, w: int, num_res_blocks: int) -> tuple[nn.Sequential, nn.Sequential]:
    check_int_at_least(network, 1, in_channels=in_channels, base_width=w)
    check_int_at_least(network, 0, num_res_blocks=num_res_blocks)
    act = PReLU()
    encoder = [*stem(in_channels, w, act)]
    encoder += [encoder_block(w, 2 * w, 2 * w, act), nn.AvgPool2d(2, 2)]
    encoder += [encoder_block(2 * w, 2 * w, 2 * w, act), nn.AvgPool2d(2, 2)]
    encoder += [InceptionBlock(2 * w, 1, act) for _ in range(num_res_blocks)]
    decoder = [up_bilinear(2 * w, 2 * w, 2 * w, act), up_bilinear(2 * w, 2 * w, w, act)]
    return nn.Sequential(*encoder), nn.Sequential(*decoder)


@register_model("authors_attention")
class AuthorsAttention(TestMaskRule):
    downsampling = 4

    def __init__(self, in_channels: int = 3, base_width: int = 64, num_res_blocks: int = 4):
        super().__init__()
        self.encoder, self.decoder = _body("AuthorsAttention", in_channels, base_width, num_res_blocks)
        self.final_proj = nn.Sequential(nn.Conv2d(base_width, 1, 1))
        authors_init_(self)
        self._init_test_mask_rule()

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_size(x, self.downsampling, "AuthorsAttention")
        features = self.encoder(x)
        decoded = self.decoder(features)
        return [features, decoded, self.final_proj(decoded)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)[-1]


@register_model("authors_generator")
class AuthorsGenerator(nn.Module):
    downsampling = 4

    def __init__(self, in_channels: int = 3, out_channels: int = 3, base_width: int = 64, num_res_blocks: int = 4):
        super().__init__()
        check_int_at_least("AuthorsGenerator", 1, out_channels=out_channels)
        self.encoder, decoder = _body("AuthorsGenerator", in_channels, base_width, num_res_blocks)
        self.decoder = nn.Sequential(*decoder, ReflectPad(3), nn.Conv2d(base_width, out_channels, 7), nn.Tanh())
        authors_init_(self)

    def forward_all(self, x: torch.Tensor) -> list[torch.Tensor]:
        check_size(x, self.downsampling, "AuthorsGenerator")
        features = self.encoder(x)
        return [features, self.decoder(features)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)[-1]
