"""The authors' discriminators (models/discriminator_networks.py), at any base width.

``authors_patch_discriminator`` = their ``Discriminator80x80InstNorm(input_nc=3)``, the PatchGAN
of the CycleGAN parts (T's, A's and the joint stage's): UNPADDED convs 5x5 s2 (3->w, bias) +
LReLU 0.2; 5x5 s2 (w->2w) + IN + LReLU; 3x3 s2 (2w->4w) + IN + LReLU; 3x3 s2 (4w->8w) + IN +
LReLU; 1x1 (8w->1, bias). IN without affine or running stats. Output: a map of raw logits,
13x18 at 240x320 (w = 64 in the paper).

``authors_global_local_discriminator`` = their ``DiscriminatorGlobalLocal(image_size=240)``,
I's discriminator. Interface: ``forward(x, mask) -> B x 1`` raw logits, ONE score per image
(the project's GlobalLocalDiscriminator returns a (global map, local map) pair instead).
- ``x``: B x C x H x W images, H x W = the (height, width) given at construction.
- ``mask``: B x 1 x H x W (or B x C x H x W); expanded to C channels and fed to the local
  branch AS IS: the authors pass A's binarised KEEP mask M (1 = kept pixel,
  train_inpainting_module_I.py:269), the same mask with the real (T(x)) and the fake (I's raw
  output) image. The local branch never sees image pixels.
Global branch: ``num_global_layers`` 4x4 s2 p1 convs w -> 2w -> ... capped at ``max_width``
(their cap is 128 for image_size != 128, i.e. 2w at w = 64; here max_width defaults to 2w);
local branch: ``num_local_layers`` of the same on the mask; LReLU 0.2, no norm, no bias. Both
flattened, concatenated, one bias-free Linear to 1 logit. Their fc1 hard-codes 10880 inputs
(= the flattened size at 240x320); here it is computed from (height, width), so 240x320 gives
10880. Their unused class head fc2 (Linear(max_width * 2 * 2, 5), bbox 64 = their default,
called only with classify=True, which their training never does) is kept as ``fc2`` so the
parameter count is theirs; it gets no gradient.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from arc.models.authors.blocks import authors_init_
from arc.models.layers import check_int_at_least
from arc.models.registry import register_model


@register_model("authors_patch_discriminator")
class AuthorsPatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 3, base_width: int = 64):
        super().__init__()
        check_int_at_least("AuthorsPatchDiscriminator", 1, in_channels=in_channels, base_width=base_width)
        w = base_width

        def down(c_in: int, c_out: int, k: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, k, stride=2, bias=False), nn.InstanceNorm2d(c_out), nn.LeakyReLU(0.2, True)]

        self.discriminator = nn.Sequential(
            nn.Conv2d(in_channels, w, 5, stride=2), nn.LeakyReLU(0.2, True),
            *down(w, 2 * w, 5), *down(2 * w, 4 * w, 3), *down(4 * w, 8 * w, 3),
            nn.Conv2d(8 * w, 1, 1),
        )
        authors_init_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if patch_output_size(h, w) is None:
            raise ValueError(f"AuthorsPatchDiscriminator: input {h}x{w} is too small for its four unpadded "
                             "stride-2 convs (5, 5, 3, 3): the last map must keep >= 2 pixels (e.g. 48x64 gives 1x2)")
        return self.discriminator(x)


def patch_output_size(height: int, width: int) -> tuple[int, int] | None:
    """Output map size of AuthorsPatchDiscriminator, or None when an InstanceNorm would see one pixel."""
    for k in (5, 5, 3, 3):
        height, width = (height - k) // 2 + 1, (width - k) // 2 + 1
        if height < 1 or width < 1 or height * width < 2:
            return None
    return height, width


def _stack(in_channels: int, w: int, layers: int, max_width: int) -> tuple[nn.Sequential, int]:
    modules: list[nn.Module] = []
    c = in_channels
    for i in range(layers):
        c_out = w if i == 0 else min(c * 2, max_width)
        modules += [nn.Conv2d(c, c_out, 4, stride=2, padding=1, bias=False), nn.LeakyReLU(0.2, True)]
        c = c_out
    return nn.Sequential(*modules), c


def _flat_size(height: int, width: int, layers: int) -> int:
    for _ in range(layers):  # 4x4 stride-2 pad-1: floor(n / 2)
        height, width = height // 2, width // 2
    return height * width


@register_model("authors_global_local_discriminator")
class AuthorsGlobalLocalDiscriminator(nn.Module):
    def __init__(self, height: int, width: int, in_channels: int = 3, base_width: int = 64, max_width: int | None = None,
                 num_global_layers: int = 6, num_local_layers: int = 5, num_classes: int = 5):
        super().__init__()
        max_width = 2 * base_width if max_width is None else max_width
        check_int_at_least("AuthorsGlobalLocalDiscriminator", 1, height=height, width=width, in_channels=in_channels,
                           base_width=base_width, max_width=max_width, num_global_layers=num_global_layers,
                           num_local_layers=num_local_layers)
        check_int_at_least("AuthorsGlobalLocalDiscriminator", 0, num_classes=num_classes)
        self.size, self.in_channels = (height, width), in_channels
        for name, layers in (("num_global_layers", num_global_layers), ("num_local_layers", num_local_layers)):
            if _flat_size(height, width, layers) == 0:
                raise ValueError(f"AuthorsGlobalLocalDiscriminator: input {height}x{width} is too small for {name} = "
                                 f"{layers} halvings (need height and width >= {2 ** layers}); lower {name}")
        self.mainGlobal, c_global = _stack(in_channels, base_width, num_global_layers, max_width)
        self.mainLocal, c_local = _stack(in_channels, base_width, num_local_layers, max_width)
        flat = c_global * _flat_size(height, width, num_global_layers) + c_local * _flat_size(height, width, num_local_layers)
        self.fc1 = nn.Linear(flat, 1, bias=False)
        # their bbox_size 64 with 5 local halvings: a 2 x 2 map
        self.fc2 = nn.Linear(c_local * 4, num_classes, bias=False) if num_classes > 0 else None
        authors_init_(self)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != self.size:
            raise ValueError(f"AuthorsGlobalLocalDiscriminator: built for {self.size[0]}x{self.size[1]} images "
                             f"(its fully connected layer), got {x.shape[-2]}x{x.shape[-1]}")
        if mask.shape[0] != x.shape[0] or mask.shape[-2:] != x.shape[-2:] or mask.shape[1] not in (1, x.shape[1]):
            raise ValueError(f"AuthorsGlobalLocalDiscriminator: mask shape {tuple(mask.shape)} does not fit images {tuple(x.shape)}")
        b = x.shape[0]
        local = self.mainLocal(mask.expand(b, x.shape[1], *x.shape[-2:]))
        features = torch.cat([self.mainGlobal(x).reshape(b, -1), local.reshape(b, -1)], dim=1)
        return self.fc1(features)
