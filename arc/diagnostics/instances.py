"""What sets A's gain apart between benchmark instances. Each instance's level summary (the premise
sweep's ``summary.json``, ``arc.reports.premise_sweep.summarise_level``) gives what A's learned masks add
(ARC: full against ARC: full with nothing removed), what a perfect A gives (the true flat clutter removed
in front of ARC: T's D, against ARC: T), A's IoU and logit AUC with the clutter, and the premise strength
(the mix D on the clutter-free twin). Across instances, the rank correlation of A's gain with each of
the others, with a bootstrap over the instances, says which of them goes with A paying."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arc.errors import DataError
from arc.reports.stats import percentile_interval

A_GAIN = "A's gain"  # ARC: full vs ARC: full with nothing removed: what A's masks add
# column -> what it is; each is read from the summary by ``instance_row``
PREDICTORS = {
    "perfect A's gain": "oracle flat mask on T vs ARC: T (test, RMS-log)",
    "A's IoU": "ARC: full's A with the clutter (test)",
    "A's AUC": "ARC: full's A's logits for the clutter (test)",
    "premise real_val %": "mix D on the clutter-free twin, RMS-log change (real_val, mean over seeds)",
    "premise test %": "oracle declutter vs mix, RMS-log change (test)",
}


def _rung_gain(summary: dict, rung: str, baseline: str, path: Path) -> float:
    for entry in summary.get("rungs", []):
        if entry.get("rung") == rung and entry.get("baseline") == baseline:
            return float(entry["gain"])
    raise DataError(f"{path}: field 'rungs' has no entry with rung {rung!r} and baseline {baseline!r}; "
                    "expected a premise-sweep level summary (arc.reports.premise_sweep.summarise_level)")


def _field(summary: dict, keys: tuple[str, ...], path: Path) -> float:
    value = summary
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise DataError(f"{path}: no field {'.'.join(keys)!r}; expected a premise-sweep level summary")
        value = value[key]
    return float(value)


def instance_row(summary: dict, path: Path) -> dict:
    """One instance's numbers from its level summary."""
    nothing_removed = next((e.get("method") for e in summary.get("rungs", []) if e.get("rung") == "ARC: full, nothing removed"), None)
    if nothing_removed is None:
        raise DataError(f"{path}: field 'rungs' has no 'ARC: full, nothing removed' rung; expected a summary of "
                        "a sweep level run with rho_sweep [rho, 0.99999] (summaries before 2026-12-06 lack it)")
    return {
        "instance": "/".join(Path(path).parts[-3:-1]),  # e.g. premise-sweep/control-909
        A_GAIN: _rung_gain(summary, "ARC: full", nothing_removed, path),
        "perfect A's gain": _rung_gain(summary, "oracle flat mask on T", "arc_t", path),
        "A's IoU": _field(summary, ("attention", "ARC: full", "mask_iou"), path),
        "A's AUC": _field(summary, ("attention", "ARC: full", "mask_logit_auc"), path),
        "premise real_val %": _field(summary, ("premise_twin_pct",), path),
        "premise test %": _field(summary, ("test_twin_pct",), path),
    }


def instance_frame(paths: list[str | Path]) -> pd.DataFrame:
    from arc.reports.premise_sweep import read_summary

    return pd.DataFrame([instance_row(read_summary(Path(p)), Path(p)) for p in paths])


def rank_correlation(x: np.ndarray, y: np.ndarray, *, n_bootstrap: int, seed: int) -> tuple[float, float, float]:
    """Spearman's rank correlation and its bootstrap 95 % interval over the pairs (resamples whose
    ranks are all tied are left out); NaN for a constant sample."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size != y.size or x.size < 3:
        raise ValueError(f"rank_correlation: expected two samples of the same size >= 3, got {x.size} and {y.size}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan, np.nan  # a constant sample has no ranks to correlate
    rho = float(spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_bootstrap):
        pick = rng.integers(0, x.size, x.size)
        if np.ptp(x[pick]) == 0 or np.ptp(y[pick]) == 0:
            continue
        draws.append(spearmanr(x[pick], y[pick]).statistic)
    low, high = percentile_interval(np.asarray(draws), 0.95) if draws else (np.nan, np.nan)
    return rho, low, high


def correlations(frame: pd.DataFrame, *, n_bootstrap: int, seed: int) -> pd.DataFrame:
    rows = []
    for name in PREDICTORS:
        rho, low, high = rank_correlation(frame[name], frame[A_GAIN], n_bootstrap=n_bootstrap, seed=seed)
        rows.append({"predictor": name, "spearman": rho, "ci95_low": low, "ci95_high": high, "n_instances": len(frame)})
    return pd.DataFrame(rows)


def format_relation(frame: pd.DataFrame, corr: pd.DataFrame) -> str:
    lines = [f"{len(frame)} benchmark instance(s); A's gain: ARC: full vs ARC: full with nothing removed "
             "(test, per-image RMS-log, mean; negative = A's masks pay)", ""]
    lines.append(frame.to_string(index=False, float_format=lambda v: f"{v:+.4f}"))
    lines += ["", "Spearman rank correlation of A's gain with (bootstrap over instances, 95 %):"]
    for row in corr.itertuples(index=False):
        lines.append(f"  {row.predictor:20s} {row.spearman:+.2f} [{row.ci95_low:+.2f}, {row.ci95_high:+.2f}]  ({PREDICTORS[row.predictor]})")
    return "\n".join(lines)
