"""Can A's network represent the clutter at all? A trained on an oracle target, not ARC's objective.

A's network (models.attention of the params) is trained with binary cross-entropy against the true
clutter mask of real_train (low logit = remove), Adam 2e-4, batch 16; reported: the IoU of its
rho test mask with the clutter on real_val and real_train every quarter of the epochs. Real data
has no clutter mask: this only tells whether the limit of ARC's A is its network or its signal.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from arc.diagnostics.depth_error import SplitArrays, removal_iou


def _removed(net, x: torch.Tensor) -> np.ndarray:
    from arc.models.gumbel import evaluation_mask

    with torch.no_grad():
        return evaluation_mask(net, net(x))[:, 0].numpy() <= 0.5


def train_on_oracle_target(params: dict, train: SplitArrays, val: SplitArrays, epochs: int, *, rho: float = 0.85,
                           seed: int = 0, batch_size: int = 16) -> list[dict]:
    """One record per report point: epoch, last batch loss, IoU on val and on train."""
    from arc.training.stages.common import build_network

    train.need_clutter("oracle target (real_train)")
    val.need_clutter("oracle target (real_val)")
    torch.manual_seed(seed)
    target = torch.from_numpy(train.clutter).float()[:, None]
    net = build_network(params, "attention")
    net.set_test_keep_fraction(rho)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    records = []
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(train.x))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            loss = F.binary_cross_entropy_with_logits(-net(train.x[batch]), target[batch])  # low logit = remove
            opt.zero_grad()
            loss.backward()
            opt.step()
        if (epoch + 1) % max(1, epochs // 4) == 0:
            net.eval()
            records.append({"epoch": epoch + 1, "loss": float(loss.detach()),
                            "iou_val": removal_iou(_removed(net, val.x), val.clutter),
                            "iou_train": removal_iou(_removed(net, train.x), train.clutter)})
    return records


def format_records(records: list[dict]) -> str:
    return "\n".join(f"epoch {r['epoch']}: loss {r['loss']:.3f}  IoU real_val {r['iou_val']:.3f}  "
                     f"IoU real_train {r['iou_train']:.3f}" for r in records)
