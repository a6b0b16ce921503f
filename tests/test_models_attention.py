"""A + Gumbel-sigmoid + KL: training on the sparsity term alone drives the keep rate to rho."""

from __future__ import annotations

import torch

from arc.losses.sparsity import kl_sparsity
from arc.models import build_model
from arc.models.gumbel import gumbel_sigmoid

RHO = 0.85


def test_kl_alone_moves_the_expected_keep_rate_to_rho():
    torch.manual_seed(0)
    attention = build_model("attention_net", base_width=4, num_res_blocks=1).train()
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    noise = torch.Generator().manual_seed(2)
    optimizer = torch.optim.Adam(attention.parameters(), lr=1e-2)
    start = torch.sigmoid(attention(x)).mean().item()
    for _ in range(80):
        loss = kl_sparsity(gumbel_sigmoid(attention(x), tau=0.5, generator=noise), RHO)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        keep = torch.sigmoid(attention(x)).mean().item()  # P(keep) per pixel, averaged
    assert abs(start - 0.5) < 0.1  # untrained: roughly half kept
    assert abs(keep - RHO) < 0.05, f"keep rate {keep:.3f}, expected about {RHO}"
