"""Seeded bootstrap interval of a mean (percentile method)."""

from __future__ import annotations

import numpy as np

from arc.utils.seeding import numpy_rng

_CHUNK = 256  # resamples drawn at a time, so memory stays flat for large test sets


def bootstrap_mean_ci(
    values: np.ndarray, *, n_samples: int = 2000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(values)``: resample with replacement
    ``n_samples`` times; deterministic given ``seed``."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("bootstrap of an empty sample")
    if not np.all(np.isfinite(values)):
        raise ValueError("bootstrap sample contains NaN or inf")
    if n_samples < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n_samples >= 1 and 0 < confidence < 1, got {n_samples}, {confidence}")
    rng = numpy_rng(seed, "bootstrap-mean")
    means = np.empty(n_samples)
    for start in range(0, n_samples, _CHUNK):
        stop = min(start + _CHUNK, n_samples)
        idx = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)
