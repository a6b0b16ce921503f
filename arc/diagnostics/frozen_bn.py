"""What the frozen networks' BatchNorm mode (``training.frozen_bn``) does to the ARC: full row's masks.

Trains the row's shared upstream stages once per seed (depth, translator, attention: frozen_bn does
not enter them), then inpainting, joint and fine-tuning once under ``training.frozen_bn: eval`` and
once under ``train``, everything else as the settings say. For the A of the joint stage and of the
fine-tuned row (what `arc evaluate` applies), on real_val: the keep rate of the hard test mask
(pooled over pixels), the IoU of the removed region with the true clutter (as Table 4), the range
of per-image keep rates, and the fine-tuned row's real_val depth metric
(docs/attention-stage3.md, "Frozen networks' BatchNorm mode").
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from arc.errors import DataError

ROW = "arc_full"
SHARED = ("depth", "translator", "attention")
MODES = ("eval", "train")


@torch.no_grad()
def attention_mask_stats(attention: torch.nn.Module, x: torch.Tensor, clutter: np.ndarray) -> dict:
    """Keep rate, IoU of the removed pixels with ``clutter`` (N, H, W) and the per-image keep range
    of A's hard test mask (its recorded rule) on the inputs ``x`` (N, 3, H, W)."""
    from arc.evaluation.mask_stats import MaskStats
    from arc.models.gumbel import evaluation_mask

    stats, per_image = MaskStats(), []
    for i in range(len(x)):
        keep = evaluation_mask(attention, attention(x[i:i + 1]).float())[0, 0].numpy() > 0.5
        stats.add(keep, clutter[i])
        per_image.append(float(keep.mean()))
    return {"keep": stats.keep_rate, "iou": stats.iou, "keep_min": min(per_image), "keep_max": max(per_image)}


def compare_frozen_bn(params: dict, data_dir: Path, seeds: list[int], out: Path) -> list[dict]:
    """Train the row under both modes (the shared stages once) and measure each joint/fine-tuned A."""
    from arc.diagnostics.depth_error import load_split
    from arc.training import checkpoint as ckpt
    from arc.training.rows import plan_row
    from arc.training.stages import get_stage

    val = load_split(Path(data_dir) / "real_val")
    if val.clutter is None:
        raise DataError(f"{Path(data_dir) / 'real_val'}: no clutter_mask array; arc diagnose frozen-bn-masks needs a SynthRooms cache")
    steps = plan_row(params, ROW)
    shared = {s.name for s in steps if s.stage in SHARED}
    rows = []
    for seed in seeds:
        root = Path(out) / f"seed{seed}"
        for mode in MODES:
            moded = copy.deepcopy(params)
            moded["training"]["frozen_bn"] = mode
            def folder_of(name: str) -> Path:  # the shared stages once per seed, the rest once per mode
                return root / (name if name in shared else f"{mode}-{name}")

            for step in steps:
                folder = folder_of(step.name)
                upstream = {k: folder_of(n) / "checkpoint.pt" for k, n in step.needs.items()}
                summary = get_stage(step.stage).run(params if step.name in shared else moded, data_dir=data_dir, seed=seed,
                                                    out_dir=folder, **step.options, **upstream)
                if step.stage not in ("joint", "finetune"):
                    continue
                attention = ckpt.load_pipeline(folder / "checkpoint.pt").attention
                row = {"seed": seed, "frozen_bn": mode, "stage": step.stage,
                       **attention_mask_stats(attention, val.x, val.clutter), "seconds": summary["seconds"]}
                if step.stage == "finetune":
                    row[f"val_{summary['metric']}"] = summary["val"][summary["metric"]]
                rows.append(row)
    return rows
