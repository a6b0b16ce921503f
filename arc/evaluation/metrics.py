"""The Table-1 depth metrics (Rel, Sq-Rel, RMS, RMS-log, delta < 1.25^k).

Every metric is a function of a few per-pixel sums. We keep those sums per
image (``metric_sums``) so that one code path serves both poolings used in
the literature:

- ``pixel`` pooling (the authors' code): add the sums of all test images,
  then compute the metrics once (every valid pixel weighs the same);
- ``image`` pooling (the standard Eigen/Garg protocols): compute the metrics
  per image, then average over images (every image weighs the same).

Note that the two differ even for the same predictions, e.g. RMS pooled over
pixels is sqrt(mean of all squared errors), while per-image RMS averages the
square roots.
"""

from __future__ import annotations

import numpy as np

METRIC_KEYS: tuple[str, ...] = ("abs_rel", "sq_rel", "rms", "rms_log", "delta1", "delta2", "delta3")
# Direction of improvement, used by tables (Delta rows) and figures.
LOWER_IS_BETTER: dict[str, bool] = {
    "abs_rel": True,
    "sq_rel": True,
    "rms": True,
    "rms_log": True,
    "delta1": False,
    "delta2": False,
    "delta3": False,
}
METRIC_LABELS: dict[str, str] = {
    "abs_rel": "Rel",
    "sq_rel": "Sq-Rel",
    "rms": "RMS",
    "rms_log": "RMS-log",
    "delta1": "δ<1.25",
    "delta2": "δ<1.25²",
    "delta3": "δ<1.25³",
}
# Units, for axis labels.
METRIC_UNITS: dict[str, str] = {
    "abs_rel": "",
    "sq_rel": "m",
    "rms": "m",
    "rms_log": "log m",
    "delta1": "fraction",
    "delta2": "fraction",
    "delta3": "fraction",
}

# Layout of the per-image sufficient statistics.
SUM_FIELDS: tuple[str, ...] = (
    "n",  # number of evaluated pixels
    "abs_rel",  # sum |p - g| / g
    "sq_rel",  # sum (p - g)^2 / g
    "sq",  # sum (p - g)^2
    "log_sq",  # sum (log p - log g)^2
    "delta1",  # count max(p/g, g/p) < 1.25
    "delta2",  # ... < 1.25^2
    "delta3",  # ... < 1.25^3
)
NUM_SUMS = len(SUM_FIELDS)
DELTA_THRESHOLDS = (1.25, 1.25**2, 1.25**3)


def metric_sums(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Sufficient statistics (``SUM_FIELDS``) of one image over the ``valid`` pixels.

    ``pred`` and ``gt`` are depths in metres of the same shape; ``pred`` must be
    positive wherever ``valid`` (apply the protocol's prediction clamp first).
    """
    pred = np.asarray(pred)
    gt = np.asarray(gt)
    valid = np.asarray(valid, dtype=bool)
    if pred.shape != gt.shape or valid.shape != gt.shape:
        raise ValueError(f"shape mismatch: pred {pred.shape}, gt {gt.shape}, valid {valid.shape}")
    p = pred[valid].astype(np.float64)
    g = gt[valid].astype(np.float64)
    out = np.zeros(NUM_SUMS, dtype=np.float64)
    if p.size == 0:
        return out
    if not (np.all(p > 0) and np.all(g > 0)):
        raise ValueError(
            f"depths must be > 0 on evaluated pixels (found {int(np.sum(p <= 0))} pred and "
            f"{int(np.sum(g <= 0))} gt values <= 0); clamp predictions and mask invalid ground truth first"
        )
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(g))):
        raise ValueError("depths must be finite on evaluated pixels (found NaN or inf)")
    diff = p - g
    ratio = np.maximum(p / g, g / p)
    out[0] = p.size
    out[1] = np.sum(np.abs(diff) / g)
    out[2] = np.sum(diff**2 / g)
    out[3] = np.sum(diff**2)
    out[4] = np.sum((np.log(p) - np.log(g)) ** 2)
    for k, threshold in enumerate(DELTA_THRESHOLDS):
        out[5 + k] = np.count_nonzero(ratio < threshold)
    return out


def metrics_from_sums(sums: np.ndarray) -> dict[str, float]:
    """The seven metrics from one row of sums; all NaN when no pixel was evaluated."""
    sums = np.asarray(sums, dtype=np.float64)
    if sums.shape != (NUM_SUMS,):
        raise ValueError(f"expected {NUM_SUMS} sums, got shape {sums.shape}")
    n = sums[0]
    if n <= 0:
        return {key: float("nan") for key in METRIC_KEYS}
    return {
        "abs_rel": float(sums[1] / n),
        "sq_rel": float(sums[2] / n),
        "rms": float(np.sqrt(sums[3] / n)),
        "rms_log": float(np.sqrt(sums[4] / n)),
        "delta1": float(sums[5] / n),
        "delta2": float(sums[6] / n),
        "delta3": float(sums[7] / n),
    }


def compute_metrics(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """The seven metrics of one image over its valid pixels."""
    return metrics_from_sums(metric_sums(pred, gt, valid))


def aggregate_sums(sums: np.ndarray, pooling: str) -> dict[str, float]:
    """Dataset metrics from per-image sums (N x NUM_SUMS) under ``pooling``.

    ``pixel``: metrics of the summed statistics. ``image``: mean of the per-image
    metrics over the images that have at least one evaluated pixel. All NaN if
    no pixel at all was evaluated.
    """
    sums = np.asarray(sums, dtype=np.float64).reshape(-1, NUM_SUMS)
    if pooling == "pixel":
        return metrics_from_sums(sums.sum(axis=0))
    if pooling == "image":
        rows = [metrics_from_sums(row) for row in sums if row[0] > 0]
        if not rows:
            return {key: float("nan") for key in METRIC_KEYS}
        return {key: float(np.mean([row[key] for row in rows])) for key in METRIC_KEYS}
    raise ValueError(f"unknown pooling {pooling!r}; expected 'pixel' or 'image'")
