"""Score predictions against ground truth under a protocol, one image at a time.

``Scorer`` accumulates per-image sufficient statistics, so callers can stream
images (a test set never has to sit in memory at once) and still get both
per-image rows and the protocol's pooled metrics at the end.
"""

from __future__ import annotations

import numpy as np

from arc.errors import DataError
from arc.evaluation.metrics import NUM_SUMS, aggregate_sums, metric_sums, metrics_from_sums
from arc.evaluation.protocols import Protocol


def resize_depth(depth: np.ndarray, shape: tuple[int, int], mode: str) -> np.ndarray:
    """``depth`` resized to ``shape`` (rows, cols): ``nearest`` or ``bilinear`` (OpenCV's, as the KITTI scripts)."""
    import cv2

    interpolation = cv2.INTER_NEAREST if mode == "nearest" else cv2.INTER_LINEAR
    return cv2.resize(np.asarray(depth, dtype=np.float32), (shape[1], shape[0]), interpolation=interpolation)


def ground_truth_m(split, index: int, protocol: Protocol) -> np.ndarray:
    """The ground truth ``protocol`` scores sample ``index`` of a cache split against, in metres: the cached
    depth, or the full-resolution maps the cache holds beside it (DataError if it holds another kind or none)."""
    if not protocol.full_resolution:
        return split.depth_m(index)
    require_ground_truth(split, protocol)
    return split.full_gt_m(index)


def require_ground_truth(split, protocol: Protocol) -> None:
    """DataError unless the cache split holds the ground truth ``protocol`` scores (checked before predicting)."""
    if protocol.full_resolution and split.full_gt_source != protocol.ground_truth:
        held = split.full_gt_source or "only the cached depth at the cache's resolution"
        raise DataError(f"{split.path}: protocol {protocol.name} scores {protocol.ground_truth} ground truth at full "
                        f"resolution, but this split holds {held}; for KITTI set data.kitti.lidar_gt: true and "
                        "rebuild the cache (the raw download's velodyne_points and calibration files are needed)")


def score_image(pred: np.ndarray, gt: np.ndarray, protocol: Protocol, region: np.ndarray | None = None) -> np.ndarray:
    """Sums of one image: protocol mask (range + crop), optionally restricted to ``region``.

    Under a full-resolution protocol a smaller prediction is resized up to the ground truth first
    (bilinear; ``region``, a mask at the prediction's size, nearest)."""
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    if protocol.full_resolution and pred.shape != gt.shape and pred.ndim == gt.ndim == 2:
        if region is not None:
            region = resize_depth(np.asarray(region, dtype=np.float32), gt.shape, "nearest") > 0.5
        pred = resize_depth(pred, gt.shape, "bilinear")
    if pred.shape != gt.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from ground truth shape {gt.shape}")
    valid = protocol.eval_mask(gt)
    if region is not None:
        valid &= np.asarray(region, dtype=bool)
    scored = pred[valid]
    if not np.all(np.isfinite(scored)):
        raise ValueError("prediction has NaN or inf on evaluated pixels")
    # only the scored pixels are clamped (the same numbers; a full-resolution map is mostly unscored)
    return metric_sums(protocol.clamp_prediction(scored), gt[valid], np.ones(scored.shape, bool))


class Scorer:
    """Collects per-image statistics for one protocol."""

    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self.names: list[str] = []
        self._sums: list[np.ndarray] = []

    def add(self, name: str, pred: np.ndarray, gt: np.ndarray, region: np.ndarray | None = None) -> dict[str, float]:
        """Score one image; returns its metrics (NaN when it has no evaluated pixel)."""
        sums = score_image(pred, gt, self.protocol, region)
        self.names.append(name)
        self._sums.append(sums)
        return metrics_from_sums(sums)

    @property
    def sums(self) -> np.ndarray:
        return np.asarray(self._sums, dtype=np.float64).reshape(-1, NUM_SUMS)

    @property
    def n_valid_images(self) -> int:
        return int(np.count_nonzero(self.sums[:, 0] > 0))

    def per_sample(self) -> list[dict]:
        """One row per image: name, the seven metrics, and the number of evaluated pixels."""
        rows = []
        for name, sums in zip(self.names, self.sums):
            row = {"name": name, **metrics_from_sums(sums), "n_valid": int(sums[0])}
            rows.append(row)
        return rows

    def metrics(self) -> dict[str, float]:
        """The protocol's dataset metrics; DataError if no pixel of any image was scored."""
        if not self.names:
            raise DataError(f"protocol {self.protocol.name}: no images were scored")
        if self.n_valid_images == 0:
            p = self.protocol
            raise DataError(
                f"protocol {p.name}: none of the {len(self.names)} ground-truth maps has a pixel inside "
                f"({p.min_depth}, {p.max_depth}) m{' and the crop' if p.crop else ''}; "
                "is the ground truth in metres (check its scale)?"
            )
        return aggregate_sums(self.sums, self.protocol.pooling)

