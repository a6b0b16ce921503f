"""A: the attention module, predicting per-pixel keep logits (1 = keep).

Encoder widths w -> 2w -> 2w (64 -> 128 -> 128 at paper size) with two
stride-2 convs, residual blocks at 1/4 resolution, and a decoder that
upsamples bilinearly (smooth masks, no transposed-conv checkerboards) back to
the exact input size, ending in ONE channel of raw logits (no sigmoid: the
Gumbel-sigmoid or the hard threshold is applied by the caller).
Works for any input size (the upsampling targets the recorded encoder sizes).

The evaluation (hard) mask rule travels with the weights: the buffer ``test_keep_fraction``
is NaN for the paper's rule (keep where logit >= 0) or a fraction rho for the per-image
rho-quantile rule (keep the rho * H * W highest logits of each image), set by the attention
stage from ``training.attention.test_mask``. Every consumer that loads A (I, fine-tuning,
prediction) therefore applies the same rule without further settings.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.models.layers import ResidualBlock, check_int_at_least, init_normal_
from arc.models.registry import register_model


def _conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class TestMaskRule(nn.Module):
    """The buffer ``test_keep_fraction`` and its setter, shared by every variant of A."""

    def _init_test_mask_rule(self) -> None:
        self.register_buffer("test_keep_fraction", torch.tensor(float("nan")))
        # The buffer's value mirrored on the host, so the evaluation mask (every inpainting and
        # fine-tuning step) reads the rule without a device sync.
        self._keep_fraction_on_host: float | None = None

    # Checkpoints written before the rule was recorded load with the paper's threshold rule.
    optional_state_keys = ("test_keep_fraction",)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.setdefault(prefix + "test_keep_fraction", torch.tensor(float("nan")))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        value = float(self.test_keep_fraction)
        self._keep_fraction_on_host = None if math.isnan(value) else value

    def set_test_keep_fraction(self, fraction: float | None) -> None:
        """None: threshold rule (logit >= 0); else keep that fraction of each image's pixels."""
        if fraction is not None and not 0.0 < float(fraction) < 1.0:
            raise ValueError(f"{type(self).__name__}: test keep fraction must be in (0, 1), got {fraction!r}")
        self.test_keep_fraction.fill_(float("nan") if fraction is None else float(fraction))
        self._keep_fraction_on_host = None if fraction is None else float(fraction)

    def keep_fraction_rule(self) -> float | None:
        """The recorded rule: None = threshold (logit >= 0), else the fraction kept per image."""
        return self._keep_fraction_on_host


@register_model("attention_net")
class AttentionNet(TestMaskRule):
    def __init__(self, in_channels: int = 3, base_width: int = 64, num_res_blocks: int = 4):
        super().__init__()
        check_int_at_least("AttentionNet", 1, in_channels=in_channels, base_width=base_width)
        check_int_at_least("AttentionNet", 0, num_res_blocks=num_res_blocks)
        w = base_width
        self.stem = nn.Sequential(
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, w, 7, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(inplace=True),
        )
        self.down1 = _conv_bn_relu(w, 2 * w, stride=2)
        self.down2 = _conv_bn_relu(2 * w, 2 * w, stride=2)
        self.res_blocks = nn.Sequential(*[ResidualBlock(2 * w, nn.BatchNorm2d) for _ in range(num_res_blocks)])
        self.up1 = _conv_bn_relu(2 * w, 2 * w)
        self.up2 = _conv_bn_relu(2 * w, w)
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(w, 1, 7))
        init_normal_(self)
        self._init_test_mask_rule()
        # channels_last (NHWC) weights and activations, as DepthUNet: A's training step (A forward
        # and backward, T and D around it) takes about 12 % less CPU at the demo size, A's own
        # forward + backward about 29 % less; values differ from NCHW only in float summation order.
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = self.stem(x.contiguous(memory_format=torch.channels_last))
        half = self.down1(full)
        quarter = self.res_blocks(self.down2(half))
        up = self.up1(F.interpolate(quarter, size=half.shape[-2:], mode="bilinear", align_corners=False))
        up = self.up2(F.interpolate(up, size=full.shape[-2:], mode="bilinear", align_corners=False))
        return self.head(up).contiguous()
