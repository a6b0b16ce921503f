"""Table 4: ARC vs mix training scored inside and outside a region of each test image.

Regions per image (``valid`` = the protocol's ground-truth pixels):
- ``arc_removed``: where ARC's hard mask is 0 (the pixels A removed and I filled),
- ``arc_kept``: where it is 1,
- ``clutter`` / ``clutter_free``: the TRUE clutter mask (SynthRooms real splits only).
Both methods are scored on exactly the same pixels (ARC's mask of the same
seed is used for mix too); metrics per image, then averaged over the images
that have at least one valid pixel in the region, as in the paper. The Delta
rows are ARC - mix per seed, then averaged.

With the clutter kind map (SynthRooms), the ARC rows also carry ``mask_recall_<kind>``: the
fraction of that kind's pixels (pooled over the split) that A's mask removes, so a reader sees
which clutter A finds (e.g. light pools) and which it leaves (e.g. posters, objects).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arc.errors import DataError
from arc.evaluation.depth_io import read_mask_png
from arc.evaluation.mask_stats import MaskStats
from arc.evaluation.metrics import METRIC_KEYS, aggregate_sums
from arc.evaluation.protocols import Protocol, protocol_for_cache
from arc.evaluation.results import MethodRun, require_method_runs
from arc.evaluation.scoring import Scorer, ground_truth_m, require_ground_truth
from arc.reports.aggregate import summarise_over_seeds
from arc.reports.methods import method_label

REGIONS = ("arc_removed", "arc_kept", "clutter", "clutter_free")
RECALL_PREFIX = "mask_recall_"


class KindRecall:
    """Pixel counts per clutter kind, pooled over the split: ``mask_recall_<kind>`` = removed / present."""

    def __init__(self):
        from arc.data.synthrooms.clutter import CLUTTER_KINDS

        self.kinds = CLUTTER_KINDS
        self.present = np.zeros(len(CLUTTER_KINDS), np.int64)
        self.removed = np.zeros(len(CLUTTER_KINDS), np.int64)

    def add(self, removed: np.ndarray, kinds: np.ndarray) -> None:
        codes = np.asarray(kinds).ravel()
        self.present += np.bincount(codes, minlength=len(self.kinds))
        self.removed += np.bincount(codes[np.asarray(removed).ravel()], minlength=len(self.kinds))

    def summary(self) -> dict[str, float]:
        """The kinds present in the split (code 0 = no clutter is not a kind)."""
        return {RECALL_PREFIX + kind: float(self.removed[code] / self.present[code])
                for code, kind in enumerate(self.kinds) if code and self.present[code]}


def _open_split(split_dir: str | Path):
    from arc.data.cache import open_cache

    return open_cache(split_dir)


def region_rows_for_seed(arc_run: MethodRun, base_run: MethodRun, split, protocol: Protocol) -> list[dict]:
    """Per-seed rows (region, role, metrics, n_images) for ARC, the baseline and their difference."""
    if not arc_run.has_masks:
        raise DataError(
            f"{arc_run.path}: no mask/ folder; Table 4 needs an ARC row with the attention module "
            f"(method {arc_run.method!r})"
        )
    arrays = split.manifest.get("arrays", {})
    clutter_masks = split.array("clutter_mask") if "clutter_mask" in arrays else None
    kind_maps = split.array("clutter_kind") if "clutter_kind" in arrays else None
    kind_recall = KindRecall() if kind_maps is not None else None
    regions = REGIONS if clutter_masks is not None else REGIONS[:2]
    scorers = {(region, role): Scorer(protocol) for region in regions for role in ("arc", "base")}
    mask_stats = MaskStats()
    require_ground_truth(split, protocol)
    for index, name in enumerate(split.names):
        gt = ground_truth_m(split, index, protocol)  # full size under kitti-eigen-lidar: Scorer resizes up
        keep = read_mask_png(arc_run.mask_path(name))
        if keep.shape != split.depth.shape[1:]:
            raise DataError(f"{arc_run.mask_path(name)}: mask shape {keep.shape} differs from the test images' "
                            f"{split.depth.shape[1:]}")
        region_masks = {"arc_removed": ~keep, "arc_kept": keep}
        clutter = None
        if clutter_masks is not None:
            clutter = np.asarray(clutter_masks[index]) > 0
            region_masks.update(clutter=clutter, clutter_free=~clutter)
        mask_stats.add(keep, clutter)
        if kind_recall is not None:
            kind_recall.add(~keep, kind_maps[index])
        preds = {"arc": arc_run.load_pred(name), "base": base_run.load_pred(name)}
        for region in regions:
            for role, pred in preds.items():
                scorers[(region, role)].add(name, pred, gt, region_masks[region])

    recall = kind_recall.summary() if kind_recall is not None else {}
    rows = []
    for region in regions:
        per_role = {}
        for role in ("arc", "base"):
            scorer = scorers[(region, role)]
            metrics = aggregate_sums(scorer.sums, "image")  # per image, then averaged (paper's Table 4)
            per_role[role] = metrics
            rows.append({"region": region, "method_role": role, **metrics, "n_images": scorer.n_valid_images})
        delta = {k: per_role["arc"][k] - per_role["base"][k] for k in METRIC_KEYS}
        rows.append({"region": region, "method_role": "delta", **delta,
                     "n_images": scorers[(region, "arc")].n_valid_images})
    for row in rows:
        row["seed"] = arc_run.seed
        is_arc = row["method_role"] == "arc"
        row["mask_iou"] = mask_stats.iou if (is_arc and mask_stats.iou is not None) else np.nan
        row["keep_rate"] = mask_stats.keep_rate if is_arc else np.nan
        # A's soft ranking of the clutter (computed from its logits at evaluation, in metrics.json)
        for key in ("mask_iou_appearance", "mask_logit_auc"):
            value = arc_run.info.get(key) if is_arc else None
            row[key] = float(value) if value is not None else np.nan
        for key, value in recall.items():
            row[key] = value if is_arc else np.nan
    return rows


def build_table4(
    results_root: str | Path,
    split_dir: str | Path,
    protocol: Protocol,
    *,
    arc_method: str,
    baseline_method: str = "mix",
    params: dict | None = None,
    split=None,
) -> pd.DataFrame:
    """Table-4 rows for every seed that has both methods, summarised over seeds.

    ``split`` may be passed already opened (tests); otherwise ``split_dir`` is
    opened with ``arc.data.cache.open_cache``.
    """
    arc_runs = {r.seed: r for r in require_method_runs(results_root, arc_method, protocol.name)}
    base_runs = {r.seed: r for r in require_method_runs(results_root, baseline_method, protocol.name)}
    seeds = sorted(set(arc_runs) & set(base_runs))
    if not seeds:
        raise DataError(
            f"no seed has results for both {arc_method!r} (seeds {sorted(arc_runs)}) and "
            f"{baseline_method!r} (seeds {sorted(base_runs)}) under {results_root}"
        )
    split = split if split is not None else _open_split(split_dir)
    protocol = protocol_for_cache(protocol, split.manifest)
    records = []
    for seed in seeds:
        records += region_rows_for_seed(arc_runs[seed], base_runs[seed], split, protocol)
    per_seed = pd.DataFrame.from_records(records)
    recall_keys = [c for c in per_seed.columns if c.startswith(RECALL_PREFIX)]
    table = summarise_over_seeds(
        per_seed, ["region", "method_role"],
        [*METRIC_KEYS, "n_images", "mask_iou", "keep_rate", "mask_iou_appearance", "mask_logit_auc", *recall_keys],
    )
    names = {"arc": arc_method, "base": baseline_method, "delta": f"delta ({arc_method} - {baseline_method})"}
    labels = {"arc": method_label(arc_method, params), "base": method_label(baseline_method, params), "delta": "Δ"}
    table.insert(2, "method", [names[r] for r in table["method_role"]])
    table.insert(3, "label", [labels[r] for r in table["method_role"]])
    table["protocol"] = protocol.name
    table["dataset"] = arc_runs[seeds[0]].info.get("benchmark") or ""
    columns = ["region", "method_role", "method", "label", *METRIC_KEYS, *[f"{k}_std" for k in METRIC_KEYS],
               "n_images", "n_seeds", "protocol", "dataset", "mask_iou", "mask_iou_std", "keep_rate", "keep_rate_std",
               "mask_iou_appearance", "mask_iou_appearance_std", "mask_logit_auc", "mask_logit_auc_std",
               *[k + suffix for k in recall_keys for suffix in ("", "_std")]]
    order = {"base": 0, "arc": 1, "delta": 2}
    table["_region_order"] = [REGIONS.index(r) for r in table["region"]]
    table["_role_order"] = [order[r] for r in table["method_role"]]
    table = table.sort_values(["_region_order", "_role_order"], kind="stable")
    return table[columns].reset_index(drop=True)
