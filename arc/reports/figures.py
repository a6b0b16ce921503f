"""Fig. 3 / 7 / 8 (metrics vs rho) and Fig. 4 / 11 (per-sample RMS-log of ARC vs mix).

Each figure is written with the CSV it was drawn from. Figures use
``matplotlib.figure.Figure`` directly (Agg canvas, no pyplot state), so they
render the same under any backend and in parallel jobs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arc.errors import DataError
from arc.evaluation.metrics import LOWER_IS_BETTER, METRIC_KEYS, METRIC_LABELS, METRIC_UNITS
from arc.evaluation.results import require_method_runs
from arc.reports.aggregate import seed_metrics_frame, single_value, summarise_over_seeds
from arc.reports.methods import method_label, method_rhos
from arc.reports.stats import bootstrap_mean_ci, bootstrap_two_level_mean_ci
from arc.reports.tables import write_csv
from arc.utils.atomic import atomic_savefig, atomic_write_text

RHO_FIGURE_METRICS = ("abs_rel", "delta1", "rms_log")
_DPI = 120


def _axis_label(metric: str) -> str:
    unit = METRIC_UNITS[metric]
    better = "lower is better" if LOWER_IS_BETTER[metric] else "higher is better"
    return f"{METRIC_LABELS[metric]}" + (f" [{unit}]" if unit else "") + f" ({better})"


# ---------------------------------------------------------------- Fig. 3 (rho)


def rho_sweep_table(
    results_root: str | Path,
    sweep_methods: list[str],
    baseline_methods: list[str],
    protocol: str,
    *,
    params: dict | None = None,
) -> pd.DataFrame:
    """Rows: one per sweep method (kind ``sweep``, with rho) and per baseline (kind ``baseline``),
    each metric's seed mean and ``_std``."""
    if not sweep_methods:
        raise DataError("no rho-sweep methods given (expected names like arc_full-rho0.85)")
    per_seed = seed_metrics_frame(results_root, [*sweep_methods, *baseline_methods], protocol)
    summary = summarise_over_seeds(per_seed, ["method"], list(METRIC_KEYS))
    rho_stored = per_seed.groupby("method", sort=False)["rho"].first()
    planned = method_rhos(params) if params and params.get("rows") else {}
    rhos = []
    for method in summary["method"]:
        if method in baseline_methods:
            rhos.append(np.nan)
            continue
        stored = rho_stored.get(method)
        stored = None if stored is None or pd.isna(stored) else float(stored)
        named = planned.get(method)
        if stored is not None and named is not None and abs(stored - named) > 1e-9:
            raise DataError(f"results of {method!r} record rho {stored} in metrics.json, but the settings trained it at "
                            f"{named}; was the wrong checkpoint evaluated?")
        value = stored if stored is not None else named
        if value is None:
            raise DataError(f"cannot tell the rho of sweep method {method!r}: no rho in its metrics.json "
                            "and none in the settings' rho sweep")
        rhos.append(float(value))
    summary.insert(1, "label", [method_label(m, params) for m in summary["method"]])
    summary.insert(2, "kind", ["baseline" if m in baseline_methods else "sweep" for m in summary["method"]])
    summary.insert(3, "rho", rhos)
    summary["protocol"] = protocol
    summary["dataset"] = single_value(per_seed, "benchmark", "benchmark")
    sweep = summary[summary["kind"] == "sweep"].sort_values("rho", kind="stable")
    return pd.concat([sweep, summary[summary["kind"] == "baseline"]], ignore_index=True)


def plot_rho_sweep(table: pd.DataFrame, metrics=RHO_FIGURE_METRICS) -> Figure:
    dataset = table["dataset"].iloc[0]
    protocol = table["protocol"].iloc[0]
    sweep = table[table["kind"] == "sweep"]
    baselines = table[table["kind"] == "baseline"]
    fig = Figure(figsize=(4.6 * len(metrics), 4.6), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    colors = ["tab:gray", "tab:orange", "tab:green", "tab:purple", "tab:brown"]
    for ax, metric in zip(axes, metrics):
        yerr = sweep[f"{metric}_std"].fillna(0.0).to_numpy()
        ax.errorbar(sweep["rho"], sweep[metric], yerr=yerr, marker="o", capsize=3, color="tab:blue",
                    label=f"{sweep['label'].iloc[0]} (mean ± std over seeds)" if len(sweep) else "ARC")
        for color, (_, base) in zip(colors, baselines.iterrows()):
            ax.axhline(base[metric], color=color, linestyle="--", linewidth=1.2, label=base["label"])
            if not pd.isna(base[f"{metric}_std"]):
                ax.axhspan(base[metric] - base[f"{metric}_std"], base[metric] + base[f"{metric}_std"],
                           color=color, alpha=0.12, linewidth=0)
        ax.set_xlabel("ρ (fraction of pixels kept by A)")
        ax.set_ylabel(_axis_label(metric))
        ax.set_xticks(sweep["rho"].to_numpy())
        ax.set_xticklabels([f"{r:g}" for r in sweep["rho"]], rotation=45)
        ax.set_title(METRIC_LABELS[metric])
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    fig.suptitle(f"ARC: full vs sparsity ρ: {dataset}, protocol {protocol}")
    return fig


def write_fig_rho(
    results_root: str | Path,
    sweep_methods: list[str],
    baseline_methods: list[str],
    protocol: str,
    out_png: str | Path,
    *,
    out_csv: str | Path | None = None,
    params: dict | None = None,
    metrics=RHO_FIGURE_METRICS,
) -> pd.DataFrame:
    table = rho_sweep_table(results_root, sweep_methods, baseline_methods, protocol, params=params)
    out_png = Path(out_png)
    write_csv(table, out_csv or out_png.with_suffix(".csv"))
    atomic_savefig(out_png, plot_rho_sweep(table, metrics), dpi=_DPI)
    return table


# ------------------------------------------------------- Fig. 4 / 11 (per sample)


def _per_sample_frame(run, metric: str) -> pd.DataFrame:
    rows = run.per_sample()
    return pd.DataFrame({"name": [r["name"] for r in rows], metric: [r[metric] for r in rows]})


def per_sample_gains(
    results_root: str | Path,
    arc_method: str,
    baseline_method: str,
    protocol: str,
    *,
    combine: str = "mean",
    metric: str = "rms_log",
) -> pd.DataFrame:
    """Per-image ``metric`` of both methods and gain = ARC - baseline (negative = ARC better).

    ``combine="mean"``: one row per image, values averaged over the seeds that have
    both methods; ``"pool"``: one row per (seed, image). Images with no valid pixel
    are dropped.
    """
    if combine not in ("mean", "pool"):
        raise ValueError(f"combine must be 'mean' or 'pool', got {combine!r}")
    arc_runs = {r.seed: r for r in require_method_runs(results_root, arc_method, protocol)}
    base_runs = {r.seed: r for r in require_method_runs(results_root, baseline_method, protocol)}
    seeds = sorted(set(arc_runs) & set(base_runs))
    if not seeds:
        raise DataError(f"no seed has results for both {arc_method!r} and {baseline_method!r} under {results_root}")
    frames = []
    for seed in seeds:
        arc = _per_sample_frame(arc_runs[seed], metric)
        base = _per_sample_frame(base_runs[seed], metric)
        if set(arc["name"]) != set(base["name"]):
            only = sorted(set(arc["name"]) ^ set(base["name"]))[:5]
            raise DataError(f"seed {seed}: {arc_method} and {baseline_method} were evaluated on different images "
                            f"(e.g. {only}); re-run both on the same split")
        merged = arc.merge(base, on="name", suffixes=("_arc", "_baseline"))
        merged.insert(0, "seed", seed)
        frames.append(merged)
    both = pd.concat(frames, ignore_index=True).dropna(subset=[f"{metric}_arc", f"{metric}_baseline"])
    if combine == "mean":
        both = both.groupby("name", sort=True).agg(
            n_seeds=("seed", "nunique"),
            **{f"{metric}_arc": (f"{metric}_arc", "mean"), f"{metric}_baseline": (f"{metric}_baseline", "mean")},
        ).reset_index()
    both["gain"] = both[f"{metric}_arc"] - both[f"{metric}_baseline"]
    if not len(both):
        raise DataError(f"no image has a valid {metric} for both {arc_method} and {baseline_method}")
    return both.sort_values("gain", kind="stable").reset_index(drop=True)


def gain_summary(gains: pd.DataFrame, *, n_bootstrap: int, seed: int, metric: str = "rms_log") -> dict:
    values = gains["gain"].to_numpy()
    low, high = bootstrap_mean_ci(values, n_samples=n_bootstrap, seed=seed)
    return {
        "metric": metric,
        "n": int(values.size),
        "mean_gain": float(values.mean()),
        "ci95_low": low,
        "ci95_high": high,
        "bootstrap_samples": int(n_bootstrap),
        "bootstrap_seed": int(seed),
        "fraction_improved": float(np.mean(values < 0)),
        "fraction_worse": float(np.mean(values > 0)),
        "best_gain": float(values.min()),
        "worst_gain": float(values.max()),
        f"mean_{metric}_arc": float(gains[f"{metric}_arc"].mean()),
        f"mean_{metric}_baseline": float(gains[f"{metric}_baseline"].mean()),
    }


def pooled_gain_summary(results_roots: list[str | Path], arc_method: str, baseline_method: str, protocol: str, *,
                        n_bootstrap: int, seed: int) -> dict:
    """``gain_summary`` over the images of several benchmark instances (one results root each): each
    root's per-image gains as ``per_sample_gains`` gives them (averaged over its seeds), the images
    pooled. A gain that one instance cannot show with confidence may show over several."""
    gains = pd.concat([per_sample_gains(root, arc_method, baseline_method, protocol) for root in results_roots],
                      ignore_index=True)
    return {**gain_summary(gains, n_bootstrap=n_bootstrap, seed=seed), "n_instances": len(results_roots)}


def instance_gain_summary(results_roots: list[str | Path], arc_method: str, baseline_method: str, protocol: str, *,
                          n_bootstrap: int, seed: int) -> dict:
    """The mean gain over benchmark instances, each instance's mean per-image gain weighing alike, with a
    two-level bootstrap 95 % interval (``bootstrap_two_level_mean_ci``: the instances, then the images). Unlike
    ``pooled_gain_summary``'s interval, it counts the spread between instances: a gain that two of five
    instances show strongly and three not at all does not pass as general."""
    gains = [per_sample_gains(root, arc_method, baseline_method, protocol)["gain"].to_numpy() for root in results_roots]
    low, high = bootstrap_two_level_mean_ci(gains, n_samples=n_bootstrap, seed=seed)
    means = [float(g.mean()) for g in gains]
    return {"instance_means": means, "mean_gain": float(np.mean(means)), "ci95_low": float(low), "ci95_high": float(high),
            "n_instances": len(gains), "bootstrap_samples": int(n_bootstrap), "bootstrap_seed": int(seed)}


def plot_gains(gains: pd.DataFrame, summary: dict, *, arc_label: str, baseline_label: str, title_suffix: str) -> Figure:
    metric = summary["metric"]
    values = gains["gain"].to_numpy()
    x = np.arange(values.size)
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.bar(x, values, width=1.0, color=np.where(values < 0, "tab:green", "tab:red"), linewidth=0)
    ax.axhline(0.0, color="black", linewidth=0.8)
    n_better = int(np.sum(values < 0))
    ax.axvline(n_better - 0.5, color="tab:blue", linewidth=1.2,
               label=f"{summary['fraction_improved']:.0%} of images improved ({n_better}/{values.size})")
    ax.axhline(summary["mean_gain"], color="tab:purple", linestyle="--", linewidth=1,
               label=f"mean gain {summary['mean_gain']:+.4f} "
                     f"(95% bootstrap CI {summary['ci95_low']:+.4f} … {summary['ci95_high']:+.4f})")
    ax.set_xlabel("test images, sorted by gain")
    ax.set_ylabel(f"gain = {METRIC_LABELS[metric]}(ARC) − {METRIC_LABELS[metric]}(baseline) [log m]\n"
                  "(negative = ARC better)")
    ax.set_title(f"Per-sample {METRIC_LABELS[metric]} gain of {arc_label} over {baseline_label}\n{title_suffix}")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3, axis="y")
    return fig


def plot_sorted_by_baseline(gains: pd.DataFrame, metric: str, *, arc_label: str, baseline_label: str,
                            title_suffix: str) -> Figure:
    order = gains.sort_values(f"{metric}_baseline", kind="stable")
    x = np.arange(len(order))
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(x, order[f"{metric}_baseline"], color="tab:orange", linewidth=1.5, label=baseline_label)
    ax.scatter(x, order[f"{metric}_arc"], s=8, color="tab:blue", label=arc_label, zorder=3)
    ax.set_xlabel(f"test images, sorted by {baseline_label} {METRIC_LABELS[metric]}")
    ax.set_ylabel(f"per-image {METRIC_LABELS[metric]} [log m] (lower is better)")
    ax.set_title(f"Per-sample {METRIC_LABELS[metric]} of {arc_label} and {baseline_label}\n{title_suffix}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def write_fig_per_sample(
    results_root: str | Path,
    arc_method: str,
    baseline_method: str,
    protocol: str,
    out_png: str | Path,
    *,
    out_csv: str | Path | None = None,
    by_baseline_png: str | Path | None = None,
    summary_json: str | Path | None = None,
    combine: str = "mean",
    n_bootstrap: int = 2000,
    seed: int = 0,
    params: dict | None = None,
    metric: str = "rms_log",
) -> dict:
    """Fig. 4 (sorted gains) + Fig. 11 (sorted by the baseline) + CSV + summary JSON.

    Defaults beside ``out_png``: ``<stem>.csv``, ``<stem>_by_baseline.png``, ``<stem>.json``.
    """
    out_png = Path(out_png)
    gains = per_sample_gains(results_root, arc_method, baseline_method, protocol, combine=combine, metric=metric)
    summary = gain_summary(gains, n_bootstrap=n_bootstrap, seed=seed, metric=metric)
    dataset = require_method_runs(results_root, arc_method, protocol)[0].info.get("benchmark") or ""
    summary.update(arc_method=arc_method, baseline_method=baseline_method, protocol=protocol, dataset=dataset,
                   combine=combine)
    n_seeds = gains["n_seeds"].max() if "n_seeds" in gains else gains["seed"].nunique()
    title_suffix = f"{dataset}, protocol {protocol}, {'mean over' if combine == 'mean' else 'pooled over'} {n_seeds} seed(s)"
    arc_label, baseline_label = method_label(arc_method, params), method_label(baseline_method, params)
    csv_frame = gains.copy()
    csv_frame.insert(0, "rank", np.arange(len(csv_frame)))
    write_csv(csv_frame, out_csv or out_png.with_suffix(".csv"))
    atomic_savefig(out_png, plot_gains(gains, summary, arc_label=arc_label, baseline_label=baseline_label,
                                       title_suffix=title_suffix), dpi=_DPI)
    atomic_savefig(by_baseline_png or out_png.with_name(f"{out_png.stem}_by_baseline.png"),
                   plot_sorted_by_baseline(gains, metric, arc_label=arc_label, baseline_label=baseline_label,
                                           title_suffix=title_suffix), dpi=_DPI)
    atomic_write_text(summary_json or out_png.with_suffix(".json"), json.dumps(summary, indent=2) + "\n")
    return summary
