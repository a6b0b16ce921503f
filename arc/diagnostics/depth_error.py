"""The one depth-error code of the diagnostics: a SynthRooms split as tensors, a fixed D's
prediction on (counterfactual) inputs, and per-pixel log-depth errors with their summaries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from arc.errors import DataError

LOG_FLOOR_M = 1e-3  # depths are clamped here before the log (the protocols' smallest depth)


@dataclass
class SplitArrays:
    """A cached split: D's inputs, ground truth in metres and (SynthRooms real splits) the clutter."""

    x: torch.Tensor  # (N, 3, H, W) in D's input range
    gt: torch.Tensor  # (N, 1, H, W) metres, 0 = invalid
    max_depth: float
    clutter: np.ndarray | None = None  # (N, H, W) bool
    kinds: np.ndarray | None = None  # (N, H, W) clutter kind codes (arc.data.synthrooms.clutter.CLUTTER_KINDS)

    @property
    def valid(self) -> torch.Tensor:
        return self.gt > 0

    def need_clutter(self, where: str) -> None:
        if self.clutter is None or self.kinds is None:
            raise DataError(f"{where}: no clutter_mask / clutter_kind arrays; expected a SynthRooms real split")


def load_split(path: str | Path) -> SplitArrays:
    from arc.data.cache import open_cache
    from arc.data.transforms import rgb_to_tensor

    split = open_cache(path)
    rgb = np.asarray(split.rgb)
    x = torch.stack([rgb_to_tensor(np.array(im)) for im in rgb])
    gt = torch.from_numpy(np.stack([np.asarray(split.depth_m(i), np.float32) for i in range(len(rgb))]))[:, None]
    clutter = np.asarray(split.array("clutter_mask")) > 0 if split.has("clutter_mask") else None
    kinds = np.asarray(split.array("clutter_kind")) if split.has("clutter_kind") else None
    return SplitArrays(x, gt, float(split.manifest["max_depth"]), clutter, kinds)


def load_fixed(path: str | Path, role: str, params: dict) -> torch.nn.Module:
    """A trained network of a run folder's checkpoint, in eval mode and frozen."""
    from arc.training.stages.common import load_upstream

    return load_upstream(path, role, stage="diagnostic", flag=role, params=params).eval().requires_grad_(False)


@torch.no_grad()
def predict_depth(depth: torch.nn.Module, x: torch.Tensor, max_depth: float, *, translator=None,
                  keep: torch.Tensor | None = None) -> torch.Tensor:
    """D's depth in metres on x (through T first if given; ``keep`` = 0 where pixels are removed, A's fill)."""
    from arc.data.transforms import unit_to_depth

    if translator is not None:
        x = translator(x)
    if keep is not None:
        x = x * keep
    return unit_to_depth(depth(x), max_depth)


def log_error(pred_m: torch.Tensor, gt_m: torch.Tensor) -> torch.Tensor:
    """Signed log-depth error per pixel, 0 where the ground truth is invalid."""
    valid = gt_m > 0
    diff = pred_m.clamp_min(LOG_FLOOR_M).log() - gt_m.clamp_min(LOG_FLOOR_M).log()
    return torch.where(valid, diff, torch.zeros_like(diff))


def centred_log_error(pred_m: torch.Tensor, gt_m: torch.Tensor) -> torch.Tensor:
    """The log error minus its per-image mean over valid pixels (blind to a per-image depth scale)."""
    valid = gt_m > 0
    diff = log_error(pred_m, gt_m)
    dims = tuple(range(1, diff.dim()))
    mean = diff.sum(dim=dims, keepdim=True) / valid.sum(dim=dims, keepdim=True).clamp(min=1)
    return torch.where(valid, diff - mean, torch.zeros_like(diff))


def error_maps(pred_m: torch.Tensor, gt_m: torch.Tensor) -> dict[str, np.ndarray]:
    """(N, H, W) maps of |log error| ("log") and |centred log error| ("scale_invariant")."""
    return {"log": log_error(pred_m, gt_m).abs()[:, 0].numpy(),
            "scale_invariant": centred_log_error(pred_m, gt_m).abs()[:, 0].numpy()}


def scale_invariant_log_l1(pred_m: torch.Tensor, gt_m: torch.Tensor) -> torch.Tensor:
    """Mean |centred log error| over the valid pixels of the batch (differentiable)."""
    valid = gt_m > 0
    return centred_log_error(pred_m, gt_m).abs().sum() / valid.sum().clamp(min=1)


def rms_log(pred_m: np.ndarray, gt_m: np.ndarray, select: np.ndarray | None = None) -> float:
    """Pooled RMS of the log error over valid (and selected) pixels; NaN if there are none."""
    keep = gt_m > 0 if select is None else (gt_m > 0) & select
    if not keep.any():
        return float("nan")
    diff = np.log(np.maximum(pred_m[keep], LOG_FLOOR_M)) - np.log(np.maximum(gt_m[keep], LOG_FLOOR_M))
    return float(np.sqrt(np.mean(diff ** 2)))


def box_smooth(error: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, padding excluded; (N, H, W)."""
    if radius <= 0:
        return error
    t = torch.from_numpy(np.ascontiguousarray(error, dtype=np.float32))[:, None]
    return F.avg_pool2d(t, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)[:, 0].numpy()


def remove_largest(score: np.ndarray, keep_fraction: float) -> np.ndarray:
    """Per image, the pixels scored above that image's ``keep_fraction`` quantile (A's rho rule)."""
    n = score.shape[0]
    threshold = np.quantile(score.reshape(n, -1), keep_fraction, axis=1)
    return score > threshold[:, None, None]


def removal_iou(removed: np.ndarray, clutter: np.ndarray) -> float:
    """IoU of the removed pixels with the clutter, pooled as in the evaluation (arc.evaluation.mask_stats)."""
    from arc.evaluation.mask_stats import MaskStats

    stats = MaskStats()
    stats.add(~removed, clutter)
    return float(stats.iou)


def kind_recall(removed: np.ndarray, kinds: np.ndarray) -> dict[str, float]:
    """Fraction of each present clutter kind's pixels that are removed."""
    from arc.data.synthrooms.clutter import CLUTTER_KINDS

    return {name: float(removed[kinds == code].mean()) for code, name in enumerate(CLUTTER_KINDS)
            if code and (kinds == code).any()}


def format_recall(recall: dict[str, float], sep: str = ", ") -> str:
    return sep.join(f"{k} {v:.2f}" for k, v in recall.items())
