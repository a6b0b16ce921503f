"""How well can any depth-driven attention find the clutter? The depth net's own error map, with ground truth.

A is trained only through a fixed D's depth error, so what A can learn about *where* to remove is
bounded by where that D errs. Here, with the ground truth of a split, each image removes the
(1 - rho) fraction of its pixels where D's per-pixel error is largest (an oracle A that knows the
error before removing anything), and that removal is scored against the true clutter like A's mask
(IoU of removed pixels; recall of each clutter kind). Also: D's mean error on each clutter kind
relative to its error outside the clutter. Errors: |log error| ("log") and the same after removing
each image's mean log error ("scale_invariant"), raw and box-smoothed, invalid depth excluded.
"""

from __future__ import annotations

import numpy as np

from arc.diagnostics.depth_error import (
    SplitArrays, box_smooth, error_maps, format_recall, kind_recall, predict_depth, removal_iou, remove_largest,
)


def error_ceiling(depth, split: SplitArrays, rho: float, *, translator=None, smooth: int = 3) -> dict:
    """Per error kind: the error ratio of each clutter kind, and per smoothing radius the oracle's removal."""
    split.need_clutter("error ceiling")
    pred = predict_depth(depth, split.x, split.max_depth, translator=translator)
    valid = split.valid[:, 0].numpy()
    clutter, kinds = split.clutter, split.kinds
    out = {}
    for name, error in error_maps(pred, split.gt).items():
        outside = error[~clutter & valid].mean()
        ratios = {kind: float(error[(kinds == code) & valid].mean() / outside)
                  for kind, code in _present(kinds)}
        removals = {}
        for radius in sorted({0, smooth}):
            removed = remove_largest(box_smooth(error, radius), rho)
            removals[radius] = {"removed": float(removed.mean()), "iou": removal_iou(removed, clutter),
                                "recall": kind_recall(removed, kinds)}
        out[name] = {"ratios": ratios, "removals": removals}
    return out


def _present(kinds: np.ndarray):
    from arc.data.synthrooms.clutter import CLUTTER_KINDS

    return [(name, code) for code, name in enumerate(CLUTTER_KINDS) if code and (kinds == code).any()]


def format_ceiling(result: dict, split_name: str, split: SplitArrays, rho: float, translated: bool) -> str:
    lines = [f"{split_name}: {len(split.x)} images, clutter {split.clutter.mean():.3f} of the pixels, oracle removes "
             f"{1 - rho:.2f} per image{' (through T)' if translated else ''}"]
    for name, part in result.items():
        lines.append(f"  {name}: error on each kind / outside the clutter: "
                     + ", ".join(f"{k} {v:.2f}" for k, v in part["ratios"].items()))
        for radius, r in part["removals"].items():
            lines.append(f"    top {1 - rho:.0%} errors, smoothed r={radius}: removes {r['removed']:.3f}, "
                         f"IoU with clutter {r['iou']:.3f}; recall per kind: {format_recall(r['recall'])}")
    return "\n".join(lines)
