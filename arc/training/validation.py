"""Validation on real_val during training (model selection; the test split is never read).

Metrics are computed in metres per image over valid pixels (0 < gt <= max_depth) and
averaged over images -- the standard per-image protocol. This is a small, self-contained
version for selection only; the reported numbers come from arc.evaluation.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

import torch

from arc.data.transforms import unit_to_depth

DEPTH_METRICS = ("abs_rel", "sq_rel", "rms", "rms_log", "delta1", "delta2", "delta3")
MIN_DEPTH = 1e-3  # metres; predictions are clamped here before the log


def per_image_depth_metrics(pred_m: torch.Tensor, gt_m: torch.Tensor, valid: torch.Tensor) -> dict[str, torch.Tensor]:
    """(B,1,H,W) metres -> {metric: (B,) tensor}; images without valid pixels give NaN."""
    pred = pred_m.float().clamp_min(MIN_DEPTH)
    gt = gt_m.float()
    valid = valid.bool() & (gt > MIN_DEPTH)
    n = valid.flatten(1).sum(1).float()

    def mean(values: torch.Tensor) -> torch.Tensor:
        return torch.where(valid, values, torch.zeros_like(values)).flatten(1).sum(1) / n

    safe_gt = torch.where(valid, gt, torch.ones_like(gt))
    ratio = torch.maximum(pred / safe_gt, safe_gt / pred)
    log_diff = torch.log(pred) - torch.log(safe_gt)
    out = {
        "abs_rel": mean((pred - gt).abs() / safe_gt),
        "sq_rel": mean((pred - gt) ** 2 / safe_gt),
        "rms": mean((pred - gt) ** 2).sqrt(),
        "rms_log": mean(log_diff**2).sqrt(),
    }
    for k in (1, 2, 3):
        out[f"delta{k}"] = mean((ratio < 1.25**k).float())
    return out


@torch.no_grad()
def evaluate_depth(
    predict_unit: Callable[[torch.Tensor], torch.Tensor],
    batches: Iterable[Mapping[str, torch.Tensor]],
    *,
    max_depth: float,
    device: torch.device,
) -> dict[str, float]:
    """Mean per-image metrics of ``predict_unit(rgb) -> depth in [-1, 1]`` over the batches."""
    sums = {k: 0.0 for k in DEPTH_METRICS}
    count = 0
    for batch in batches:
        pred = unit_to_depth(predict_unit(batch["rgb"].to(device)).float(), max_depth).cpu()
        per_image = per_image_depth_metrics(pred, batch["depth"], batch["valid"])
        keep = ~torch.isnan(per_image["abs_rel"])
        for key in DEPTH_METRICS:
            sums[key] += float(per_image[key][keep].sum())
        count += int(keep.sum())
    if count == 0:
        return {k: float("nan") for k in DEPTH_METRICS}
    return {k: v / count for k, v in sums.items()}
