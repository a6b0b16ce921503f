"""Collect per-seed results and summarise them over seeds (mean, sample std, count)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from arc.errors import DataError
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.results import load_method_runs

SEED_EXTRAS = ("mask_iou", "keep_rate", "mask_iou_appearance", "mask_logit_auc")


def seed_metrics_frame(
    results_root: str | Path,
    methods: list[str],
    protocol: str | None = None,
    *,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """One row per (method, seed): the 7 metrics plus benchmark, rho, mask_iou, keep_rate.

    A method with no results at all is a DataError unless ``allow_missing``.
    """
    records, missing = [], []
    for method in methods:
        runs = load_method_runs(results_root, method, protocol)
        if not runs:
            missing.append(method)
            continue
        for run in runs:
            info = run.info
            record = {"method": method, "seed": run.seed, **{k: float(info["metrics"][k]) for k in METRIC_KEYS}}
            record["benchmark"] = info.get("benchmark") or info.get("dataset") or ""
            record["protocol"] = info["protocol"]
            record["rho"] = info.get("rho")
            for key in SEED_EXTRAS:
                value = info.get(key)
                record[key] = float(value) if value is not None else np.nan
            records.append(record)
    if missing and not allow_missing:
        where = ", ".join(str(Path(results_root) / "seed*" / m / "metrics.json") for m in missing[:3])
        raise DataError(f"no results for methods {missing} under {results_root} (looked for {where})")
    columns = ["method", "seed", *METRIC_KEYS, "benchmark", "protocol", "rho", *SEED_EXTRAS]
    return pd.DataFrame.from_records(records, columns=columns)


def summarise_over_seeds(frame: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: mean of each value, ``<value>_std`` (sample std, NaN for one seed), n_seeds.

    Groups keep their first-appearance order.
    """
    rows = []
    for group_key, group in frame.groupby(keys, sort=False, dropna=False):
        group_key = group_key if isinstance(group_key, tuple) else (group_key,)
        row = dict(zip(keys, group_key))
        for value in values:
            column = pd.to_numeric(group[value], errors="coerce").dropna()
            row[value] = float(column.mean()) if len(column) else np.nan
            row[f"{value}_std"] = float(column.std(ddof=1)) if len(column) > 1 else np.nan
        row["n_seeds"] = int(group["seed"].nunique())
        rows.append(row)
    return pd.DataFrame(rows)


def single_value(frame: pd.DataFrame, column: str, what: str) -> str:
    """The one value a column takes (e.g. the benchmark); DataError if results disagree."""
    values = sorted({str(v) for v in frame[column].dropna() if str(v)})
    if len(values) > 1:
        raise DataError(f"results mix several {what}s: {values}; report one {what} at a time")
    return values[0] if values else ""
