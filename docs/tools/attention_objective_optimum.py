"""Is the clutter the optimum of A's training objective? Free per-image masks, optimised directly.

One-off diagnostic (not part of the DAG). A's objective (arc.training.stages.attention) is the
fixed D's depth error on M * T(x) plus the KL sparsity towards rho. Here the mask is not
predicted by A but optimised freely for each image of a split (logits on a grid of CELL x CELL
pixels, upsampled bilinearly; Adam, lr 0.1; sigmoid mask, per-image KL), with the ground truth
of that split. At the end each image keeps its rho highest logits (A's rho_quantile test mask).
Printed for that hard optimum, for the true clutter mask and (with --attention) for A's mask:
the objective's depth term, the IoU of the removed pixels with the clutter, and the recall of
each clutter kind (fraction of its pixels removed).
If the free optimum lowers the depth term far more than removing the clutter does and overlaps
the clutter little, no A trained on this objective can be expected to find the clutter: the
objective, not A's network or optimiser, is the limit.
Usage (in a workflow directory with a SynthRooms indoor cache and trained runs):
    python docs/tools/attention_objective_optimum.py params.yaml runs/.../syn_only/checkpoint.pt \
        [--translator runs/.../translator/checkpoint.pt] [--attention A.pt] [--fill zero|blur] \
        [--loss l1|scale_invariant] [--split real_train] [--steps 150] [--cell 4]
"""
import argparse

import numpy as np
import torch
import torch.nn.functional as F

from arc.config import load_params
from arc.data.cache import open_cache
from arc.data.synthrooms.clutter import CLUTTER_KINDS
from arc.data.transforms import depth_to_unit, rgb_to_tensor, unit_to_depth
from arc.evaluation.mask_stats import MaskStats
from arc.losses.depth import masked_l1
from arc.losses.sparsity import kl_sparsity
from arc.models.gumbel import evaluation_mask
from arc.training.stages.common import load_upstream


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(2.5 * sigma))
    t = torch.arange(-r, r + 1, dtype=x.dtype)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).repeat(x.shape[1], 1, 1, 1)
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(-1, 1, 1, 2 * r + 1), groups=x.shape[1])
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(-1, 1, 2 * r + 1, 1), groups=x.shape[1])


def scale_invariant_log_l1(pred: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Mean |log-depth error minus its per-image mean| over valid pixels: blind to a per-image scale."""
    diff = torch.where(valid, pred.clamp_min(1e-3).log() - target.clamp_min(1e-3).log(), torch.zeros_like(pred))
    count = valid.sum(dim=(1, 2, 3), keepdim=True).clamp(min=1)
    centred = torch.where(valid, (diff - diff.sum(dim=(1, 2, 3), keepdim=True) / count).abs(), torch.zeros_like(pred))
    return centred.sum() / valid.sum().clamp(min=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params"); ap.add_argument("depth")
    ap.add_argument("--translator"); ap.add_argument("--attention")
    ap.add_argument("--split", default="real_train"); ap.add_argument("--fill", choices=("zero", "blur"), default="zero")
    ap.add_argument("--loss", choices=("l1", "scale_invariant"), default="l1")
    ap.add_argument("--steps", type=int, default=150); ap.add_argument("--cell", type=int, default=4)
    args = ap.parse_args()
    torch.manual_seed(0)
    params = load_params(args.params)
    rho = float(params["rho"])
    split = open_cache(f"{params['data']['cache_root']}/{params['benchmark']}/{args.split}")
    max_depth = float(split.manifest["max_depth"])
    rgb = np.asarray(split.rgb)
    clutter = np.asarray(split.array("clutter_mask")) > 0
    kinds = np.asarray(split.array("clutter_kind"))
    n, h, w = clutter.shape
    x = torch.stack([rgb_to_tensor(np.array(im)) for im in rgb])
    gt = torch.from_numpy(np.stack([np.asarray(split.depth_m(i), np.float32) for i in range(n)]))[:, None]
    valid = gt > 0
    load = lambda path, role: load_upstream(path, role, stage="diagnostic", flag=role, params=params).eval().requires_grad_(False)
    depth = load(args.depth, "depth")
    with torch.no_grad():
        base = load(args.translator, "translator")(x) if args.translator else x

    def depth_term(keep: torch.Tensor) -> torch.Tensor:
        fill = torch.zeros_like(base) if args.fill == "zero" else gaussian_blur(base * keep, 4) / gaussian_blur(keep, 4).clamp_min(1e-3)
        pred = depth(keep * base + (1 - keep) * fill)
        if args.loss == "l1":
            return masked_l1(pred, depth_to_unit(gt, max_depth), valid)
        return scale_invariant_log_l1(unit_to_depth(pred, max_depth), gt, valid)

    def report(name: str, removed: np.ndarray) -> None:
        with torch.no_grad():
            term = float(depth_term(torch.from_numpy(~removed)[:, None].float()))
        stats = MaskStats(); stats.add(~removed, clutter)
        recall = "  ".join(f"{k} {removed[kinds == c].mean():.2f}" for c, k in enumerate(CLUTTER_KINDS) if c and (kinds == c).any())
        print(f"{name:24s} removes {removed.mean():.3f}  depth term {term:.4f}  IoU with clutter {stats.iou:.3f}  recall: {recall}")

    logits = torch.full((n, 1, h // args.cell, w // args.cell), 2.0, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.1)
    for _ in range(args.steps):
        keep = torch.sigmoid(F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False))
        loss = depth_term(keep) + float(params["training"]["attention"]["lambda_kl"]) * kl_sparsity(keep, rho, per_image=True)
        opt.zero_grad(); loss.backward(); opt.step()
    final = F.interpolate(logits.detach(), size=(h, w), mode="bilinear", align_corners=False)[:, 0].numpy()
    optimum = final <= np.quantile(final.reshape(n, -1), 1 - rho, axis=1)[:, None, None]

    print(f"{args.split}: {n} images, fill {args.fill}, depth term {args.loss}, rho {rho}, {args.steps} steps on {args.cell}x{args.cell} cells")
    report("nothing removed", np.zeros_like(clutter))
    report("true clutter removed", clutter)
    report("free per-image optimum", optimum)
    if args.attention:
        attention = load(args.attention, "attention")
        with torch.no_grad():
            report("A's test mask", evaluation_mask(attention, attention(x))[:, 0].numpy() < 0.5)


if __name__ == "__main__":
    main()
