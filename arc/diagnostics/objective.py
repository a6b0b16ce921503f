"""Is the clutter the optimum of A's training objective? Free per-image masks, optimised directly.

A's objective (arc.training.stages.attention) is the fixed D's depth error on M * T(x) plus the KL
sparsity towards rho. Here the mask is not predicted by A but optimised freely for each image of a
split (logits on a grid of CELL x CELL pixels, upsampled bilinearly; Adam, lr 0.1; sigmoid mask,
per-image KL), with the ground truth of that split. At the end each image keeps its rho highest
logits (A's rho_quantile test mask). Reported for that hard optimum, for the true clutter mask and
(with an A) for A's mask: the objective's depth term, the IoU of the removed pixels with the
clutter, and the recall of each clutter kind. If the free optimum lowers the depth term far more
than removing the clutter and overlaps it little, the objective (not A) is the limit.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from arc.diagnostics.depth_error import SplitArrays, kind_recall, removal_iou, scale_invariant_log_l1

FILLS = ("zero", "blur")
LOSSES = ("l1", "scale_invariant")


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with edge replication, per channel."""
    r = max(1, int(2.5 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).repeat(x.shape[1], 1, 1, 1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(-1, 1, 1, 2 * r + 1), groups=x.shape[1])
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(-1, 1, 2 * r + 1, 1), groups=x.shape[1])


class DepthTerm:
    """A's depth term for a keep map: D's error on keep * x + (1 - keep) * fill (fill: zeros, or a
    normalised blur of the kept pixels)."""

    def __init__(self, depth, inputs: torch.Tensor, gt: torch.Tensor, max_depth: float, *, fill: str = "zero",
                 loss: str = "l1"):
        if fill not in FILLS or loss not in LOSSES:
            raise ValueError(f"fill {fill!r} / loss {loss!r}: expected one of {FILLS} / {LOSSES}")
        self.depth, self.inputs, self.gt, self.max_depth = depth, inputs, gt, max_depth
        self.fill, self.loss = fill, loss

    def __call__(self, keep: torch.Tensor) -> torch.Tensor:
        from arc.data.transforms import depth_to_unit, unit_to_depth
        from arc.losses.depth import masked_l1

        base = self.inputs
        fill = torch.zeros_like(base) if self.fill == "zero" else (
            gaussian_blur(base * keep, 4) / gaussian_blur(keep, 4).clamp_min(1e-3))
        pred = self.depth(keep * base + (1 - keep) * fill)
        if self.loss == "l1":
            return masked_l1(pred, depth_to_unit(self.gt, self.max_depth), self.gt > 0)
        return scale_invariant_log_l1(unit_to_depth(pred, self.max_depth), self.gt)


def free_optimum(term: DepthTerm, shape: tuple[int, int, int], rho: float, lambda_kl: float, *, steps: int = 150,
                 cell: int = 4, seed: int = 0) -> np.ndarray:
    """The removed pixels (N, H, W) of the per-image free mask optimised on ``term`` + KL."""
    from arc.losses.sparsity import kl_sparsity

    torch.manual_seed(seed)
    n, h, w = shape
    logits = torch.full((n, 1, h // cell, w // cell), 2.0, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.1)
    for _ in range(steps):
        keep = torch.sigmoid(F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False))
        loss = term(keep) + lambda_kl * kl_sparsity(keep, rho, per_image=True)
        opt.zero_grad()
        loss.backward()
        opt.step()
    final = F.interpolate(logits.detach(), size=(h, w), mode="bilinear", align_corners=False)[:, 0].numpy()
    return final <= np.quantile(final.reshape(n, -1), 1 - rho, axis=1)[:, None, None]


def score_removal(term: DepthTerm, removed: np.ndarray, split: SplitArrays) -> dict:
    with torch.no_grad():
        value = float(term(torch.from_numpy(~removed)[:, None].float()))
    return {"removed": float(removed.mean()), "depth_term": value, "iou": removal_iou(removed, split.clutter),
            "recall": kind_recall(removed, split.kinds)}


def objective_optimum(depth, split: SplitArrays, rho: float, lambda_kl: float, *, translator=None, attention=None,
                      fill: str = "zero", loss: str = "l1", steps: int = 150, cell: int = 4) -> dict[str, dict]:
    """Label -> score_removal for nothing removed, the true clutter, the free optimum and A's mask."""
    from arc.models.gumbel import evaluation_mask

    split.need_clutter("objective optimum")
    with torch.no_grad():
        inputs = translator(split.x) if translator is not None else split.x
    term = DepthTerm(depth, inputs, split.gt, split.max_depth, fill=fill, loss=loss)
    optimum = free_optimum(term, split.clutter.shape, rho, lambda_kl, steps=steps, cell=cell)
    out = {"nothing removed": score_removal(term, np.zeros_like(split.clutter), split),
           "true clutter removed": score_removal(term, split.clutter, split),
           "free per-image optimum": score_removal(term, optimum, split)}
    if attention is not None:
        with torch.no_grad():
            removed = evaluation_mask(attention, attention(split.x))[:, 0].numpy() < 0.5
        out["A's test mask"] = score_removal(term, removed, split)
    return out


def format_optimum(result: dict[str, dict]) -> str:
    return "\n".join(
        f"{name:24s} removes {r['removed']:.3f}  depth term {r['depth_term']:.4f}  IoU with clutter {r['iou']:.3f}  "
        f"recall: " + "  ".join(f"{k} {v:.2f}" for k, v in r["recall"].items()) for name, r in result.items())
