"""Seeded bootstrap intervals of a mean (percentile method): of one sample, and of a mean over groups."""

from __future__ import annotations

import numpy as np

from arc.utils.seeding import numpy_rng

_CHUNK = 256  # resamples drawn at a time, so memory stays flat for large test sets


def bootstrap_mean_ci(
    values: np.ndarray, *, n_samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(values)``: resample with replacement
    ``n_samples`` times; deterministic given ``seed``."""
    values = _finite_sample(values, "bootstrap of an empty sample")
    _check_resampling(n_samples, confidence)
    rng = numpy_rng(seed, "bootstrap-mean")
    means = np.empty(n_samples)
    for start in range(0, n_samples, _CHUNK):
        stop = min(start + _CHUNK, n_samples)
        idx = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[idx].mean(axis=1)
    return percentile_interval(means, confidence)


def bootstrap_two_level_mean_ci(
    groups: list[np.ndarray], *, n_samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of the groups' means (e.g. benchmark instances, each a
    sample of per-image values): resample the groups with replacement, then the values within each
    picked group; deterministic given ``seed``. Unlike ``bootstrap_mean_ci`` over the values pooled,
    it counts the spread between groups."""
    empty = "two-level bootstrap of an empty group or of no groups"
    if not groups or any(np.size(g) == 0 for g in groups):  # every group's size before any value's check
        raise ValueError(empty)
    groups = [_finite_sample(g, empty) for g in groups]
    _check_resampling(n_samples, confidence)
    rng = np.random.default_rng(seed)  # the stream behind the intervals quoted in docs/premise-sweep
    means = np.empty(n_samples)
    for b in range(n_samples):
        picked = rng.integers(len(groups), size=len(groups))
        means[b] = np.mean([rng.choice(groups[i], size=groups[i].size).mean() for i in picked])
    return percentile_interval(means, confidence)


def _finite_sample(values, empty_message: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError(empty_message)
    if not np.all(np.isfinite(values)):
        raise ValueError("bootstrap sample contains NaN or inf")
    return values


def _check_resampling(n_samples: int, confidence: float) -> None:
    if n_samples < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n_samples >= 1 and 0 < confidence < 1, got {n_samples}, {confidence}")


def percentile_interval(means: np.ndarray, confidence: float) -> tuple[float, float]:
    """The central ``confidence`` interval of bootstrap draws (the percentile method)."""
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)
