"""The local view of the inpainting discriminator is the hole's bounding box, resized."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from arc.models import build_model
from arc.models.discriminators import crop_hole_regions


def test_crop_hole_regions_takes_the_bounding_box_of_each_sample():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    hole = torch.zeros(2, 1, 8, 8)
    hole[0, 0, 2:4, 3:7] = 1.0
    hole[0, 0, 5, 5] = 0.7  # soft values above 0.5 count as hole
    crops = crop_hole_regions(x, hole, (4, 4))
    expected_first = F.interpolate(x[:1, :, 2:6, 3:7], size=(4, 4), mode="bilinear", align_corners=False)
    assert torch.equal(crops[:1], expected_first)
    # no hole pixel: the whole image, resized
    expected_second = F.interpolate(x[1:], size=(4, 4), mode="bilinear", align_corners=False)
    assert torch.equal(crops[1:], expected_second)
    with pytest.raises(ValueError, match="hole_mask"):
        crop_hole_regions(x, hole[:, :, :4], (4, 4))


def test_local_logits_depend_only_on_the_hole_region():
    torch.manual_seed(0)
    disc = build_model("global_local_discriminator", base_width=4).eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    hole = torch.zeros(1, 1, 32, 32)
    hole[..., 8:24, 8:24] = 1.0
    changed = x.clone()
    changed[..., :4, :] = 0.0  # outside the hole's bounding box
    g1, l1 = disc(x, hole)
    g2, l2 = disc(changed, hole)
    assert torch.equal(l1, l2)
    assert not torch.equal(g1, g2)


def test_too_small_inputs_get_a_clear_error():
    disc = build_model("patch_discriminator", base_width=4, num_layers=3)
    with pytest.raises(ValueError, match="16x16 is too small.*>= 24"):
        disc(torch.zeros(1, 3, 16, 16))
    assert disc(torch.zeros(1, 3, 24, 24)).shape == (1, 1, 1, 1)
