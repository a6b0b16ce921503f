"""How well can any depth-driven attention find the clutter? The depth net's own error map, with ground truth.

One-off diagnostic (not part of the DAG). A is trained only through a fixed D's depth error, so
what A can learn about *where* to remove is bounded by where that D errs. Here, with the ground
truth of a split, each image removes the (1 - rho) fraction of its pixels where D's per-pixel error
is largest (an oracle A that knows the error before removing anything), and that removal is scored
against the true clutter like A's mask (IoU of removed pixels; recall of each clutter kind). Also
printed: D's mean error on each clutter kind relative to its error outside the clutter.
Errors: |log depth error| ("log") and the same after removing each image's mean log error
("scale_invariant"), each raw and box-smoothed (--smooth pixels radius), invalid depth excluded.
If even this oracle overlaps the clutter little, D's errors are not concentrated on the clutter
and no attention trained on D's error alone can reach a high IoU on this benchmark.
Usage (in a workflow directory with a SynthRooms indoor cache and trained runs):
    python docs/tools/attention_error_ceiling.py params.yaml runs/.../syn_only/checkpoint.pt \
        [--translator runs/.../translator/checkpoint.pt] [--split real_train] [--smooth 3]
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

from arc.config import load_params
from arc.data.cache import open_cache
from arc.data.synthrooms.clutter import CLUTTER_KINDS
from arc.data.transforms import rgb_to_tensor, unit_to_depth
from arc.evaluation.mask_stats import MaskStats
from arc.training.stages.common import load_upstream


def error_maps(pred_m: torch.Tensor, gt_m: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-pixel |log error| and |log error - per-image mean|, 0 where the depth is invalid; (N, H, W)."""
    valid = gt_m > 0
    diff = torch.where(valid, pred_m.clamp_min(1e-3).log() - gt_m.clamp_min(1e-3).log(), torch.zeros_like(pred_m))
    mean = diff.sum(dim=(1, 2, 3), keepdim=True) / valid.sum(dim=(1, 2, 3), keepdim=True).clamp(min=1)
    centred = torch.where(valid, diff - mean, torch.zeros_like(diff))
    return {"log": diff.abs()[:, 0].numpy(), "scale_invariant": centred.abs()[:, 0].numpy()}


def box_smooth(error: np.ndarray, radius: int) -> np.ndarray:
    if radius <= 0:
        return error
    t = torch.from_numpy(error)[:, None]
    return F.avg_pool2d(t, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)[:, 0].numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params"); ap.add_argument("depth")
    ap.add_argument("--translator"); ap.add_argument("--split", default="real_train")
    ap.add_argument("--smooth", type=int, default=3)
    args = ap.parse_args()
    params = load_params(args.params)
    rho = float(params["rho"])
    split = open_cache(f"{params['data']['cache_root']}/{params['benchmark']}/{args.split}")
    max_depth = float(split.manifest["max_depth"])
    clutter = np.asarray(split.array("clutter_mask")) > 0
    kinds = np.asarray(split.array("clutter_kind"))
    n = clutter.shape[0]
    x = torch.stack([rgb_to_tensor(np.array(im)) for im in np.asarray(split.rgb)])
    gt = torch.from_numpy(np.stack([np.asarray(split.depth_m(i), np.float32) for i in range(n)]))[:, None]
    valid = gt[:, 0].numpy() > 0
    load = lambda path, role: load_upstream(path, role, stage="diagnostic", flag=role, params=params).eval()
    with torch.no_grad():
        inputs = load(args.translator, "translator")(x) if args.translator else x
        pred = unit_to_depth(load(args.depth, "depth")(inputs), max_depth)
    present = [(k, name) for k, name in enumerate(CLUTTER_KINDS) if name != "none" and (kinds == k).any()]
    print(f"{args.split}: {n} images, clutter {clutter.mean():.3f} of the pixels, oracle removes {1 - rho:.2f} per image"
          f"{' (through T)' if args.translator else ''}")
    for name, error in error_maps(pred, gt).items():
        outside = error[~clutter & valid].mean()
        ratios = ", ".join(f"{kind} {error[(kinds == k) & valid].mean() / outside:.2f}" for k, kind in present)
        print(f"  {name}: error on each kind / outside the clutter: {ratios}")
        for radius in sorted({0, args.smooth}):
            smoothed = box_smooth(error, radius)
            threshold = np.quantile(smoothed.reshape(n, -1), rho, axis=1)
            removed = smoothed > threshold[:, None, None]  # each image's largest (1 - rho) errors
            stats = MaskStats()
            stats.add(~removed, clutter)
            recall = ", ".join(f"{kind} {removed[kinds == k].mean():.2f}" for k, kind in present)
            print(f"    top {1 - rho:.0%} errors, smoothed r={radius}: removes {removed.mean():.3f}, "
                  f"IoU with clutter {stats.iou:.3f}; recall per kind: {recall}")


if __name__ == "__main__":
    main()
