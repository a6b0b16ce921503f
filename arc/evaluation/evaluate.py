"""Evaluate a folder of predicted depth maps against a folder of ground truth.

Files are matched by stem (``a.npy`` in one folder with ``a.png`` in the other
is fine). Before scoring we check names, shapes and units and fail with the
first offenders listed, because a wrong scale (millimetres vs metres, KITTI's
/256) silently produces plausible-looking but meaningless numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arc.errors import DataError
from arc.evaluation.depth_io import index_depth_folder, load_depth
from arc.evaluation.protocols import Protocol
from arc.evaluation.scoring import Scorer, resize_depth

MAX_LISTED = 5
# Median pred / median GT outside [1/x, x] means a unit mistake, not a bad model:
# unit mix-ups are factors of 100, 256 or 1000, while a poor model is rarely off by 2x.
DEFAULT_SCALE_TOLERANCE = 4.0
# Pixels per image kept for the median check (keeps memory flat on large test sets).
_SCALE_SAMPLES_PER_IMAGE = 4096


@dataclass
class FolderEvaluation:
    protocol: Protocol
    metrics: dict[str, float]
    per_sample: list[dict]
    n_images: int
    n_valid_images: int
    resized: str | None = None  # "nearest" / "bilinear": predictions resized to the ground truth's size

    def as_dict(self) -> dict:
        return {
            "protocol": self.protocol.name,
            "protocol_details": self.protocol.summary(),
            "n_images": self.n_images,
            "n_valid_images": self.n_valid_images,
            "resized": self.resized,
            "metrics": self.metrics,
        }


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def match_names(pred_index: dict[str, Path], gt_index: dict[str, Path], pred_dir: Path, gt_dir: Path) -> list[str]:
    """Sorted common stems; DataError listing the first names present on one side only."""
    missing = sorted(set(gt_index) - set(pred_index))
    extra = sorted(set(pred_index) - set(gt_index))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} ground-truth names have no prediction in {pred_dir}: {_listing(missing)}")
        if extra:
            parts.append(f"{len(extra)} predictions have no ground truth in {gt_dir}: {_listing(extra)}")
        raise DataError("file names do not match (matched by stem): " + "; ".join(parts))
    return sorted(gt_index)


def check_tolerance(tolerance: float) -> None:
    """The unit check's factor: > 1 (inf switches the check off on purpose; NaN would do so silently)."""
    if not tolerance > 1:
        raise DataError(f"scale tolerance {tolerance!r}: expected a factor > 1 (default {DEFAULT_SCALE_TOLERANCE}; "
                        "inf switches the unit check off)")


def ground_truth_problem(gt: np.ndarray) -> str | None:
    """Why a ground-truth map cannot be scored (None if it can): negative depth, or no valid pixel."""
    finite = np.isfinite(gt)
    if np.any(gt[finite] < 0):
        return f"negative depth, min {float(gt[finite].min()):.4g}"
    if not np.any(gt[finite] > 0):
        return "no valid pixel: all zero" if np.all(finite) else "no valid pixel: zero, NaN or inf everywhere"
    return None


def check_scales(pred_values: np.ndarray, gt_values: np.ndarray, tolerance: float) -> None:
    """DataError if the medians of prediction and ground truth differ by more than ``tolerance`` x."""
    if pred_values.size == 0 or gt_values.size == 0:
        return
    pred_median = float(np.median(pred_values))
    gt_median = float(np.median(gt_values))
    if pred_median <= 0 or gt_median <= 0:
        return
    ratio = pred_median / gt_median
    if ratio > tolerance or ratio < 1.0 / tolerance:
        raise DataError(
            f"scales differ: pred median {pred_median:.4g} m vs gt median {gt_median:.4g} m "
            f"(ratio {ratio:.3g}); check --pred-scale / --gt-scale "
            "(e.g. 0.001 for millimetre PNGs, 0.00390625 for KITTI's value/256)"
        )


def evaluate_folders(
    pred_dir: str | Path,
    gt_dir: str | Path,
    protocol: Protocol,
    *,
    pred_scale: float | None = None,
    gt_scale: float | None = None,
    scale_tolerance: float = DEFAULT_SCALE_TOLERANCE,
    resize: str | None = None,
) -> FolderEvaluation:
    """Score every prediction in ``pred_dir`` against the same-named map in ``gt_dir``.

    Both folders hold ``.npy`` (metres x scale) or 16-bit ``.png`` (units x scale) files.
    Raises DataError on mismatched names, shapes or scales, naming the first offenders.
    ``resize`` ("nearest" | "bilinear"): a prediction of another size is resized to its ground
    truth's first (the result records which); without it a size mismatch is an error, except under
    a full-resolution protocol (kitti-eigen-lidar), which resizes bilinearly.
    """
    if resize is not None and resize not in RESIZE_MODES:
        raise DataError(f"resize = {resize!r}: expected one of {', '.join(RESIZE_MODES)}")
    check_tolerance(scale_tolerance)
    if protocol.full_resolution:
        if resize not in (None, "bilinear"):
            raise DataError(f"resize = {resize!r}: protocol {protocol.name} resizes predictions up bilinearly")
        resize = "bilinear"  # the protocol's own rule
    pred_dir, gt_dir = Path(pred_dir), Path(gt_dir)
    pred_index = index_depth_folder(pred_dir, "prediction")
    gt_index = index_depth_folder(gt_dir, "ground-truth")
    names = match_names(pred_index, gt_index, pred_dir, gt_dir)

    # One pass; every check looks at all images before anything is reported, so the
    # error lists the offenders, and no score is returned unless all checks pass.
    scorer = Scorer(protocol)
    bad_shapes, non_finite, not_depth, bad_gt, pred_sample, gt_sample = [], [], [], [], [], []
    for name in names:
        pred = load_depth(pred_index[name], pred_scale)
        gt = load_depth(gt_index[name], gt_scale)
        # The ground truth first: an empty or negative map is its fault, not the prediction's.
        gt_problem = ground_truth_problem(gt)
        if gt_problem:
            bad_gt.append(f"{gt_index[name].name} ({gt_problem})")
            continue
        if resize is not None and pred.ndim == gt.ndim == 2 and pred.shape != gt.shape:
            pred = resize_depth(pred, gt.shape, resize)
        if pred.shape != gt.shape:
            bad_shapes.append(f"{name} (pred {pred.shape} vs gt {gt.shape})")
            continue
        if not np.all(np.isfinite(pred)):
            non_finite.append(name)
            continue
        # A negative depth, or a map with nothing positive where the ground truth is valid, is a
        # broken prediction; the protocol's clamp would turn it into a plausible-looking score.
        if np.any(pred < 0) or not np.any(pred[gt > 0] > 0):
            not_depth.append(f"{name} (min {float(pred.min()):.4g}, max {float(pred.max()):.4g})")
            continue
        # Scale check on positive pixels, not the protocol's range: a wrong unit would empty that range.
        positive = (gt > 0) & (pred > 0)
        step = max(1, int(np.count_nonzero(positive)) // _SCALE_SAMPLES_PER_IMAGE)
        pred_sample.append(pred[positive][::step])
        gt_sample.append(gt[positive][::step])
        scorer.add(name, pred, gt)
    if bad_gt:
        raise DataError(f"{len(bad_gt)} ground-truth maps in {gt_dir} are not usable depth: {_listing(bad_gt)}; "
                        f"expected metres > 0 where valid and 0 where invalid (check the files and --gt-scale)")
    if bad_shapes:
        raise DataError(f"{len(bad_shapes)} prediction/ground-truth pairs differ in shape: {_listing(bad_shapes)}")
    if non_finite:
        raise DataError(f"{len(non_finite)} predictions contain NaN or inf: {_listing(non_finite)}")
    if not_depth:
        raise DataError(f"{len(not_depth)} predictions are not depth maps (a negative value, or no positive depth "
                        f"where the ground truth is valid): {_listing(not_depth)}; expected positive metres")
    check_scales(np.concatenate(pred_sample), np.concatenate(gt_sample), scale_tolerance)

    return FolderEvaluation(
        protocol=protocol,
        metrics=scorer.metrics(),
        per_sample=scorer.per_sample(),
        n_images=len(names),
        n_valid_images=scorer.n_valid_images,
        resized=resize,
    )


RESIZE_MODES = ("nearest", "bilinear")
