"""Does the benchmark hold ARC's premise? Counterfactual inputs through a fixed depth net.

ARC assumes that real images hold clutter a depth net trained on mostly synthetic data errs
on, and that removing it helps. On SynthRooms we know the clutter (``clutter_mask``), its kind
(``clutter_kind``) and the clutter-free twin (``clean_rgb``), so the premise can be measured
directly: feed a fixed D counterfactual versions of each real image and compare its error with
the error on the image as captured (ground truth = the physical scene, always the same).

Interventions (``fill`` is A's training-time fill, 0 in D's [-1, 1] input space):
- ``twin``: the clutter-free twin (oracle declutter),
- ``clutter_removed``: the true clutter pixels filled,
- ``appearance_removed``: only appearance clutter (flat kinds, see clutter.APPEARANCE_KINDS) filled,
- ``scattered_removed``: as many randomly scattered pixels filled (same count per image),
- ``blobs_elsewhere_removed``: the clutter mask shifted to a random offset, filled,
- ``clutter_inpainted``: the true clutter pixels completed by OpenCV's Telea inpainting,
- ``attention_removed`` (with ``attention``): the pixels A's test-time mask removes, filled as in
  A's training. Measured with the D that A was trained against, it answers whether A's mask or the
  true clutter is the better solution of A's own objective: if A's mask lowers D's error more than
  ``clutter_removed`` does, no optimiser change can make A find the clutter; the benchmark (or the
  objective) must change first.
With ``translator``, ``translated`` feeds T(x) instead of x (T's job: move real images
towards what a synthetic-trained D understands).

Rows report the protocol's RMS-log and Rel and their change against ``as_captured``, pooled
over the split; plus per-kind RMS-log inside each clutter kind. Use ``real_val`` (never tune on
``real_test``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.errors import DataError
from arc.evaluation.metrics import aggregate_sums
from arc.evaluation.mask_stats import MaskStats
from arc.evaluation.protocols import Protocol, protocol_for_cache
from arc.evaluation.scoring import Scorer
from arc.utils.seeding import numpy_rng

INTERVENTIONS = ("as_captured", "twin", "clutter_removed", "appearance_removed", "scattered_removed",
                 "blobs_elsewhere_removed", "clutter_inpainted", "attention_removed")
# Prefix of the per-kind columns of a premise row: RMS-log inside each clutter kind's pixels
# (rms_log_in_<kind>; the clutter-free pixels: rms_log_in_background).
IN_KIND = "rms_log_in_"


def _scattered_like(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros_like(mask)
    count = int(mask.sum())
    out.flat[rng.choice(mask.size, size=count, replace=False)] = True
    return out


def _shifted_like(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same clutter shapes at a random offset of at least a quarter of the image."""
    h, w = mask.shape
    dy = int(rng.integers(h // 4, h - h // 4 + 1))
    dx = int(rng.integers(w // 4, w - w // 4 + 1))
    return np.roll(np.roll(mask, dy, axis=0), dx, axis=1)


def _telea(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.inpaint(np.ascontiguousarray(rgb), mask.astype(np.uint8), 3, cv2.INPAINT_TELEA)


def _depth_of(depth_net, translator, images: np.ndarray, removed: np.ndarray | None, max_depth: float,
              batch_size: int = 32) -> np.ndarray:
    import torch

    from arc.data.transforms import rgb_to_tensor, unit_to_depth

    out = []
    for start in range(0, len(images), batch_size):
        x = rgb_to_tensor(np.array(images[start:start + batch_size]))
        with torch.no_grad():
            if translator is not None:
                x = translator(x)
            if removed is not None:
                x = x * torch.from_numpy(~removed[start:start + batch_size])[:, None].to(x.dtype)
            out.append(unit_to_depth(depth_net(x).float(), max_depth)[:, 0].numpy())
    return np.concatenate(out)


def attention_removed(attention, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """(N, H, W) bool: the pixels A's hard test-time mask removes (A sees the raw image)."""
    import torch

    from arc.data.transforms import rgb_to_tensor
    from arc.models.gumbel import evaluation_mask

    attention.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = rgb_to_tensor(np.array(images[start:start + batch_size]))
        with torch.no_grad():
            keep = evaluation_mask(attention, attention(x))
        out.append(keep[:, 0].numpy() < 0.5)
    return np.concatenate(out)


def measure_premise(depth_net, split_dir: str | Path, protocol: Protocol, *, seed: int = 0,
                    translator=None, attention=None) -> dict:
    """Premise table of one depth net on one SynthRooms real split (see the module docstring)."""
    from arc.data.cache import open_cache
    from arc.data.synthrooms.clutter import APPEARANCE_KINDS, CLUTTER_KINDS

    split = open_cache(split_dir)
    for needed in ("clutter_mask", "clean_rgb", "clutter_kind"):
        if not split.has(needed):
            raise DataError(f"{split_dir}: no {needed!r} array; the premise needs a SynthRooms real split "
                            f"(rebuild the cache if it predates clutter kinds)")
    protocol = protocol_for_cache(protocol, split.manifest)
    max_depth = float(split.manifest["max_depth"])
    rgb = np.asarray(split.rgb)
    clutter = np.asarray(split.array("clutter_mask")) > 0
    kinds = np.asarray(split.array("clutter_kind"))
    appearance = np.isin(kinds, [CLUTTER_KINDS.index(k) for k in APPEARANCE_KINDS])
    gt = [split.depth_m(i) for i in range(len(rgb))]
    rng = numpy_rng(seed, "premise")
    inputs = {
        "as_captured": (rgb, None),
        "twin": (np.asarray(split.array("clean_rgb")), None),
        "clutter_removed": (rgb, clutter),
        "appearance_removed": (rgb, appearance),
        "scattered_removed": (rgb, np.stack([_scattered_like(m, rng) for m in clutter])),
        "blobs_elsewhere_removed": (rgb, np.stack([_shifted_like(m, rng) for m in clutter])),
        "clutter_inpainted": (np.stack([_telea(im, m) for im, m in zip(rgb, clutter)]), None),
    }
    attention_stats = None
    if attention is not None:
        removed_by_a = attention_removed(attention, rgb)
        inputs["attention_removed"] = (rgb, removed_by_a)
        stats = MaskStats()  # the same pooled IoU as the evaluation's metrics.json
        stats.add(~removed_by_a, clutter)
        attention_stats = {"removed_fraction": 1.0 - stats.keep_rate, "iou_with_clutter": stats.iou}
    depth_net.eval()
    if translator is not None:
        translator.eval()
    rows = []
    for name in INTERVENTIONS:
        if name not in inputs:
            continue
        images, removed = inputs[name]
        pred = _depth_of(depth_net, translator, images, removed, max_depth)
        whole = Scorer(protocol)
        by_kind = {k: Scorer(protocol) for k in CLUTTER_KINDS}
        for i in range(len(pred)):
            whole.add(split.names[i], pred[i], gt[i])
            for code, kind in enumerate(CLUTTER_KINDS):
                if (kinds[i] == code).any():
                    by_kind[kind].add(split.names[i], pred[i], gt[i], kinds[i] == code)
        metrics = aggregate_sums(whole.sums, protocol.pooling)
        row = {"intervention": name, "rms_log": metrics["rms_log"], "abs_rel": metrics["abs_rel"]}
        for kind, scorer in by_kind.items():
            if scorer.names:
                row[f"{IN_KIND}{'background' if kind == 'none' else kind}"] = aggregate_sums(scorer.sums, "pixel")["rms_log"]
        rows.append(row)
    base = rows[0]
    for row in rows:
        row["rms_log_change_pct"] = 100.0 * (row["rms_log"] / base["rms_log"] - 1.0)
        row["abs_rel_change_pct"] = 100.0 * (row["abs_rel"] / base["abs_rel"] - 1.0)
    return {
        "split": str(split_dir),
        "n_images": len(rgb),
        "translated": translator is not None,
        "clutter_fraction": float(clutter.mean()),
        "kind_fractions": {k: float((kinds == c).mean()) for c, k in enumerate(CLUTTER_KINDS) if c and (kinds == c).any()},
        "appearance_kinds": list(APPEARANCE_KINDS),
        "attention": attention_stats,
        "rows": rows,
    }


def format_premise(result: dict, title: str) -> str:
    lines = [f"{title}: {result['n_images']} images of {result['split']}"
             f"{' through T' if result['translated'] else ''}; clutter covers {100 * result['clutter_fraction']:.1f} %"
             f" ({', '.join(f'{k} {100 * v:.1f} %' for k, v in result['kind_fractions'].items())})"]
    for row in result["rows"]:
        kinds = " ".join(f"{k[len(IN_KIND):]}={v:.3f}" for k, v in row.items() if k.startswith(IN_KIND))
        lines.append(f"  {row['intervention']:24s} RMS-log {row['rms_log']:.4f} ({row['rms_log_change_pct']:+5.1f} %)  "
                     f"Rel {row['abs_rel']:.4f} ({row['abs_rel_change_pct']:+5.1f} %)  in-region RMS-log: {kinds}")
    if result.get("attention"):
        a = result["attention"]
        lines.append(f"  (A's mask removes {100 * a['removed_fraction']:.1f} % of the pixels; IoU with the clutter "
                     f"{a['iou_with_clutter']:.3f})")
    return "\n".join(lines)
