"""A learns where to remove: the mechanism of the attention stage on a planted case.

Images hold a bright square at a random place; a fixed "depth net" D errs only where the
input is bright, so removing the square (and nothing else) lowers D's loss. A is trained as the
attention stage trains it (Gumbel-sigmoid mask on D's input, zero fill, KL sparsity towards
rho) and must find the square from its appearance alone: the IoU of its removed region with
the square must be far above what a random removal of the same size gets.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from arc.losses.sparsity import kl_sparsity
from arc.models.attention import AttentionNet
from arc.models.gumbel import linear_temperature, quantile_hard_mask

SIZE, SQUARE, RHO = 16, 4, 1.0 - (4 * 4) / (16 * 16)


def planted_batch(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, 3, SIZE, SIZE, generator=generator) * 0.8 - 0.4
    planted = torch.zeros(n, 1, SIZE, SIZE)
    corners = torch.randint(0, SIZE - SQUARE + 1, (n, 2), generator=generator)
    for i, (r, c) in enumerate(corners.tolist()):
        x[i, :, r:r + SQUARE, c:c + SQUARE] = 1.0
        planted[i, :, r:r + SQUARE, c:c + SQUARE] = 1.0
    return x, planted


class BrightnessFooledDepth(nn.Module):
    """Fixed D: its prediction departs from the (zero) ground truth around bright pixels only."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(F.relu(x.mean(1, keepdim=True) - 0.6), 3, stride=1, padding=1)


def removed_iou(removed: torch.Tensor, target: torch.Tensor) -> float:
    removed, target = removed.bool(), target.bool()
    return float((removed & target).sum() / (removed | target).sum())


def test_attention_learns_to_remove_the_region_whose_removal_lowers_the_depth_loss():
    torch.manual_seed(0)
    data_gen, noise_gen = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    depth = BrightnessFooledDepth()
    attention = AttentionNet(base_width=8, num_res_blocks=1)
    optimizer = torch.optim.Adam(attention.parameters(), lr=2e-3)
    steps = 150
    for step in range(steps):
        x, _ = planted_batch(16, data_gen)
        tau = linear_temperature(step, steps, 0.9, 0.1)
        logits = attention(x)
        u = torch.rand(logits.shape, generator=noise_gen).clamp(1e-6, 1 - 1e-6)
        mask = torch.sigmoid((logits + torch.log(u) - torch.log1p(-u)) / tau)
        loss = depth(mask * x).abs().mean() + kl_sparsity(mask, RHO, per_image=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    attention.eval()
    x, planted = planted_batch(64, torch.Generator().manual_seed(3))
    with torch.no_grad():
        removed = 1.0 - quantile_hard_mask(attention(x), RHO)
    chance = removed_iou(1.0 - quantile_hard_mask(torch.randn(64, 1, SIZE, SIZE), RHO), planted)
    learned = removed_iou(removed, planted)
    assert chance < 0.1
    assert learned > 0.5, f"IoU of A's removal with the planted square {learned:.3f} (chance {chance:.3f})"
    # and the depth loss through A's mask is lower than through a random mask of the same size
    with torch.no_grad():
        assert depth((1.0 - removed) * x).abs().mean() < 0.5 * depth(x).abs().mean()
