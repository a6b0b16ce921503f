"""What the frozen networks' BatchNorm mode (training.frozen_bn) does to the ARC: full row's masks.

One-off measurement (not part of the DAG; docs/attention-stage3.md, "Frozen networks' BatchNorm
mode"). Trains the row's shared upstream stages once per seed (depth mix, translator, attention:
frozen_bn does not enter them), then inpainting, joint and fine-tuning once under
``training.frozen_bn: eval`` and once under ``train``, everything else as in the params file.
For the A of the joint stage and the A of the fine-tuned row (what `arc evaluate` applies), on
real_val: the keep rate of the hard test mask (pooled over pixels), the IoU of the removed region
with the true clutter (arc.evaluation.mask_stats.MaskStats, as table 4), the range of per-image
keep rates, and the fine-tuned row's real_val depth metric.

Usage (in a workflow directory whose params.yaml is a preset of the authors' recipe, e.g. after
`arc config preset demo-authors` and building data/cache/synthrooms-indoor):
    python docs/tools/frozen_bn_masks.py --params params.yaml --data data/cache/synthrooms-indoor \
        --seeds 0 1 --out /tmp/frozen_bn
Writes OUT/masks.csv and prints it.
"""
from __future__ import annotations

import argparse
import copy
import csv
from pathlib import Path

import numpy as np
import torch

from arc.config import load_params
from arc.data.dataset import DepthDataset
from arc.evaluation.mask_stats import MaskStats
from arc.models.gumbel import evaluation_mask
from arc.training import checkpoint as ckpt
from arc.training.rows import plan_row
from arc.training.stages import get_stage

ROW = "arc_full"
SHARED = ("depth", "translator", "attention")


@torch.no_grad()
def mask_stats(checkpoint: Path, data: Path) -> dict:
    pipeline = ckpt.load_pipeline(checkpoint)
    attention = pipeline.attention
    val = DepthDataset(data / "real_val", eval_extras=True)
    stats, per_image = MaskStats(), []
    for i in range(len(val)):
        item = val[i]
        logits = attention(item["rgb"][None]).float()
        keep = evaluation_mask(attention, logits)[0, 0].numpy() > 0.5
        stats.add(keep, item["clutter_mask"][0].numpy() > 0.5)
        per_image.append(keep.mean())
    return {"keep": stats.keep_rate, "iou": stats.iou, "keep_min": float(np.min(per_image)), "keep_max": float(np.max(per_image))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", required=True)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    params = load_params(args.params)
    steps = plan_row(params, ROW)
    rows = []
    for seed in args.seeds:
        root = args.out / f"seed{seed}"
        for mode in ("eval", "train"):
            p = copy.deepcopy(params)
            p["training"]["frozen_bn"] = mode
            for step in steps:
                # the shared stages train once (under the params as given); the rest per mode
                folder = root / (step.name if step.stage in SHARED else f"{mode}-{step.name}")
                upstream = {k: (root / n if any(s.name == n and s.stage in SHARED for s in steps) else root / f"{mode}-{n}") / "checkpoint.pt"
                            for k, n in step.needs.items()}
                summary = get_stage(step.stage).run(params if step.stage in SHARED else p, data_dir=args.data, seed=seed,
                                                    out_dir=folder, **step.options, **upstream)
                if step.stage in ("joint", "finetune"):
                    row = {"seed": seed, "frozen_bn": mode, "stage": step.stage, **mask_stats(folder / "checkpoint.pt", args.data),
                           "seconds": summary["seconds"]}
                    if step.stage == "finetune":
                        metric = summary["metric"]
                        row[f"val_{metric}"] = summary["val"][metric]
                    rows.append(row)
                    print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(args.out / "masks.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


if __name__ == "__main__":
    main()
