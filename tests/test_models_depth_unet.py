"""D can fit a small batch: the masked L1 loss falls by more than 10x in 150 Adam steps."""

from __future__ import annotations

import torch

from arc.losses.depth import masked_l1
from arc.models import build_model

STEPS = 150
REQUIRED_FACTOR = 10.0  # observed ~20x on CPU


def test_depth_unet_overfits_one_small_batch():
    torch.manual_seed(0)
    model = build_model("depth_unet", base_width=8, num_downsamples=2, num_inception_blocks=1).train()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(4, 3, 16, 16, generator=g) * 2 - 1
    # a depth map that depends on the image: a smooth ramp plus image brightness
    ramp = torch.linspace(-0.6, 0.6, 16).view(1, 1, 16, 1).expand(4, 1, 16, 16)
    target = (ramp + 0.2 * x.mean(dim=1, keepdim=True)).clamp(-0.9, 0.9)
    valid = torch.rand(4, 1, 16, 16, generator=g) > 0.2
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    first = None
    for _ in range(STEPS):
        loss = masked_l1(model(x), target, valid)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = masked_l1(model(x), target, valid).item()
    assert final * REQUIRED_FACTOR < first, f"L1 fell only from {first:.4f} to {final:.4f}"
