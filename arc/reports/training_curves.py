"""Training curves: one small multiple per training stage and seed, so under-training shows at a glance.

Each stage folder ``runs/<benchmark>/seed<S>/<name>/`` holds ``log.csv`` (one row per step, one
column per loss), ``val.csv`` (one row per epoch, the validation metrics on ``real_val``) and
``summary.json`` (which metric selected the checkpoint, and at which epoch). A panel draws the
step losses of the stage's objective (``total``) with their epoch means, and on a second axis the
metric the stage selects on, with the selected epoch marked.

The CSV written beside the figure is long ("tidy"): one row per (stage, seed, curve, epoch), with
``curve`` = ``train`` (epoch-mean loss) or ``val`` (the selection metric). ``dvc plots show``
draws it as small multiples with the template in ``.dvc/plots/arc_panels.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arc.errors import ConfigError, DataError
from arc.reports.tables import write_csv
from arc.utils.atomic import atomic_savefig

LOSS_COLUMN = "total"
# log.csv columns that are not losses (bookkeeping or diagnostics logged beside them).
NOT_LOSSES = {"step", "epoch", "phase", "keep_rate", "tau", "hole_fraction"}
VAL_BOOKKEEPING = {"epoch", "step", "selected"}
# Panel order within a seed: the order the stages train in.
STAGE_ORDER = ("depth", "translator", "attention", "inpainting", "joint", "finetune")
CSV_COLUMNS = ["panel_order", "panel", "seed", "run", "stage", "curve", "metric", "epoch", "step", "value",
               "selected"]
_DPI = 110


@dataclass
class RunCurves:
    seed: int
    name: str  # the run folder, e.g. attention_t-rho0.85
    stage: str  # the stage module that trained it (summary.json "stage")
    log: pd.DataFrame  # step, epoch, losses
    val: pd.DataFrame  # epoch, step, metrics, selected
    loss: str  # the loss column drawn
    metric: str | None  # the validation column drawn (None: val.csv has no finite metric)
    selection: str  # "best" (checkpoint follows metric) or "last"
    selected_epoch: int | None

    @property
    def label(self) -> str:
        return f"seed {self.seed} · {self.name}"

    def epoch_losses(self) -> pd.DataFrame:
        """Epoch-mean loss, at the 1-based epoch that ends the steps (as in val.csv)."""
        means = self.log.groupby("epoch", sort=True).agg(step=("step", "max"), value=(self.loss, "mean"))
        return pd.DataFrame({"epoch": means.index.to_numpy() + 1, "step": means["step"].to_numpy(),
                             "value": means["value"].to_numpy()})

    def last_epoch_change(self) -> float | None:
        """Relative change of the epoch-mean loss over the last epoch (None with one epoch, or when
        the last two epochs optimised different objectives)."""
        values = self.epoch_losses()["value"].to_numpy()
        if "phase" in self.log and self.log.groupby("epoch")["phase"].first().tail(2).nunique() > 1:
            return None  # the fine-tune alternates objectives (eq. 14 / eq. 15): totals do not compare
        if values.size < 2 or not np.isfinite(values[-2:]).all() or values[-2] == 0:
            return None
        return float((values[-1] - values[-2]) / abs(values[-2]))


def expected_runs(params: dict) -> list[str]:
    """Every stage folder one seed of the preset's DAG trains, in training order.

    The names come from the row compositions (``arc.training.rows.plan_row``): the Table-2 rows
    at ``rho`` plus ARC:full at every rho of ``rho_sweep``.
    """
    from arc.training.rows import plan_row

    rows = params.get("rows") or {}
    if not rows:
        raise ConfigError("params has no 'rows': cannot tell which stages were trained")
    names: dict[str, str] = {}
    plans = [plan_row(params, row) for row in rows]
    if "arc_full" in rows:
        plans += [plan_row(params, "arc_full", rho=rho) for rho in params.get("rho_sweep") or []]
    for plan in plans:
        for step in plan:
            names.setdefault(step.name, step.stage)
    order = {stage: i for i, stage in enumerate(STAGE_ORDER)}
    return sorted(names, key=lambda n: (order.get(names[n], len(order)), list(names).index(n)))


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: missing; every stage writes its {what} there. Was the stage run to the end?")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc})") from exc
    if not len(frame):
        raise DataError(f"{path}: no rows; the stage logged no {what}")
    return frame


def load_run(run_dir: str | Path, seed: int, validation_metric: str | None = None) -> RunCurves:
    """Read one stage folder. The drawn metric is the one that selected the checkpoint; stages that
    keep their last epoch fall back to ``validation_metric``, then to the first finite val column."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: no such stage folder; train it first (snakemake / dvc repro build it)")
    log = _read_csv(run_dir / "log.csv", "losses (log.csv)")
    val = _read_csv(run_dir / "val.csv", "validation metrics (val.csv)")
    for column, frame, path in (("step", log, "log.csv"), ("epoch", log, "log.csv"), ("epoch", val, "val.csv")):
        if column not in frame:
            raise DataError(f"{run_dir / path}: no '{column}' column (columns: {list(frame.columns)})")
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    losses = [c for c in log.columns if c not in NOT_LOSSES]
    if not losses:
        raise DataError(f"{run_dir / 'log.csv'}: no loss column (columns: {list(log.columns)})")
    loss = LOSS_COLUMN if LOSS_COLUMN in losses else losses[0]
    candidates = [c for c in val.columns if c not in VAL_BOOKKEEPING]
    finite = [c for c in candidates if np.isfinite(pd.to_numeric(val[c], errors="coerce")).any()]
    metric = next((m for m in (summary.get("metric"), validation_metric) if m in finite), None)
    metric = metric or (finite[0] if finite else None)
    selected = summary.get("selected_epoch")
    if selected is None and "selected" in val:
        picked = val.loc[val["selected"] == 1, "epoch"]
        selected = int(picked.iloc[-1]) if len(picked) else None
    return RunCurves(seed=int(seed), name=run_dir.name, stage=str(summary.get("stage") or "?"), log=log, val=val,
                     loss=loss, metric=metric, selection=str(summary.get("selection") or "?"),
                     selected_epoch=None if selected is None else int(selected))


def load_runs(runs_root: str | Path, seeds: list[int], names: list[str],
              validation_metric: str | None = None) -> list[RunCurves]:
    """Every (seed, name) under ``runs_root/seed<S>/<name>``; a missing one is an error naming it."""
    runs_root = Path(runs_root)
    if not seeds or not names:
        raise ConfigError("no seeds or no stage names given: nothing to draw")
    missing = [f"seed{s}/{n}" for s in seeds for n in names if not (runs_root / f"seed{s}" / n).is_dir()]
    if missing:
        raise DataError(f"{runs_root}: {len(missing)} stage folder(s) missing, e.g. {missing[:4]}; "
                        "train them first (snakemake / dvc repro build them)")
    return [load_run(runs_root / f"seed{s}" / n, s, validation_metric) for n in names for s in seeds]


def curves_table(runs: list[RunCurves]) -> pd.DataFrame:
    """The long CSV: per panel (stage, seed, curve) one row per epoch; train and val panels of a
    run are adjacent (``panel_order``)."""
    rows = []
    for i, run in enumerate(runs):
        common = {"seed": run.seed, "run": run.name, "stage": run.stage}
        for _, r in run.epoch_losses().iterrows():
            rows.append({**common, "panel_order": 2 * i, "panel": f"{run.label}: train {run.loss} loss",
                         "curve": "train", "metric": run.loss, "epoch": int(r["epoch"]), "step": int(r["step"]),
                         "value": r["value"], "selected": int(r["epoch"]) == run.selected_epoch})
        if run.metric is None:
            continue
        for _, r in run.val.iterrows():
            rows.append({**common, "panel_order": 2 * i + 1, "panel": f"{run.label}: val {run.metric}",
                         "curve": "val", "metric": run.metric, "epoch": int(r["epoch"]), "step": r.get("step"),
                         "value": pd.to_numeric(r[run.metric], errors="coerce"),
                         "selected": int(r["epoch"]) == run.selected_epoch})
    frame = pd.DataFrame(rows)
    frame["selected"] = frame["selected"].astype(int)
    return frame[CSV_COLUMNS]


def _panel(ax, run: RunCurves) -> None:
    log = run.log
    steps_per_epoch = max(int(log.groupby("epoch")["step"].count().max()), 1)
    # x in epochs: step s of epoch e sits at e + (s - first step of e + 1) / steps, so the
    # epoch mean and the validation at epoch k (1-based) line up at x = k.
    first = log.groupby("epoch")["step"].transform("min")
    x_steps = log["epoch"] + (log["step"] - first + 1) / steps_per_epoch
    ax.plot(x_steps, log[run.loss], color="tab:blue", alpha=0.35, linewidth=0.8)
    epochs = run.epoch_losses()
    ax.plot(epochs["epoch"], epochs["value"], color="tab:blue", marker="o", markersize=3.5, linewidth=1.4,
            label=f"train {run.loss} (epoch mean)")
    ax.set_ylabel(f"train {run.loss}", color="tab:blue", fontsize=8)
    ax.tick_params(axis="y", labelcolor="tab:blue", labelsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(alpha=0.25)
    n_epochs = int(epochs["epoch"].max())
    ax.set_xlim(0, n_epochs + 0.15)
    ax.set_xticks(range(0, n_epochs + 1, max(1, math.ceil(n_epochs / 8))))
    notes = []
    change = run.last_epoch_change()
    if change is not None:
        notes.append(f"loss {change:+.0%} in last epoch")
    if run.metric is not None:
        val_ax = ax.twinx()
        values = pd.to_numeric(run.val[run.metric], errors="coerce")
        val_ax.plot(run.val["epoch"], values, color="tab:orange", marker="s", markersize=3.5, linewidth=1.4,
                    label=f"val {run.metric}")
        if run.selected_epoch is not None:
            sel = run.val["epoch"] == run.selected_epoch
            val_ax.plot(run.val.loc[sel, "epoch"], values[sel], linestyle="none", marker="*", markersize=11,
                        color="tab:red", label="selected checkpoint")
        val_ax.set_ylabel(f"val {run.metric}", color="tab:orange", fontsize=8)
        val_ax.tick_params(axis="y", labelcolor="tab:orange", labelsize=7)
        if run.selection == "best" and run.selected_epoch == n_epochs and n_epochs > 1:
            notes.append("best val at last epoch")
    else:
        notes.append("no finite validation metric")
    ax.set_title(f"{run.label}  [{run.stage}, selection: {run.selection}]", fontsize=8.5)
    if notes:
        ax.text(0.98, 0.96, "; ".join(notes), transform=ax.transAxes, ha="right", va="top", fontsize=7,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "linewidth": 0})


def plot_training_curves(runs: list[RunCurves], *, title: str) -> Figure:
    """Rows of panels; with several seeds each row is one stage and each column one seed."""
    seeds = sorted({r.seed for r in runs})
    ncols = len(seeds) if len(seeds) > 1 else min(4, len(runs))
    nrows = math.ceil(len(runs) / ncols)
    fig = Figure(figsize=(4.3 * ncols, 2.35 * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    if len(seeds) > 1:
        by_key = {(r.name, r.seed): r for r in runs}
        names = list(dict.fromkeys(r.name for r in runs))
        cells = [[by_key.get((n, s)) for s in seeds] for n in names]
    else:
        cells = [runs[i * ncols:(i + 1) * ncols] + [None] * (ncols - len(runs[i * ncols:(i + 1) * ncols]))
                 for i in range(nrows)]
    for row_axes, row_runs in zip(axes, cells):
        for ax, run in zip(row_axes, row_runs):
            if run is None:
                ax.set_axis_off()
            else:
                _panel(ax, run)
    for ax in axes[-1]:
        if ax.axison:
            ax.set_xlabel("epoch", fontsize=8)
    handles = [
        axes[0][0].plot([], [], color="tab:blue", alpha=0.35, linewidth=0.8, label="train loss per step")[0],
        axes[0][0].plot([], [], color="tab:blue", marker="o", label="train loss, epoch mean")[0],
        axes[0][0].plot([], [], color="tab:orange", marker="s", label="validation metric (real_val)")[0],
        axes[0][0].plot([], [], color="tab:red", marker="*", markersize=11, linestyle="none",
                        label="selected checkpoint")[0],
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=9)
    fig.suptitle(title, fontsize=11)
    return fig


def write_training_curves(
    runs_root: str | Path,
    out_png: str | Path,
    *,
    seeds: list[int],
    names: list[str],
    validation_metric: str | None = None,
    out_csv: str | Path | None = None,
    title: str | None = None,
) -> pd.DataFrame:
    """Draw the panels into ``out_png`` and write the long CSV beside it (``<stem>.csv``)."""
    runs = load_runs(runs_root, seeds, names, validation_metric)
    out_png = Path(out_png)
    table = curves_table(runs)
    write_csv(table, out_csv or out_png.with_suffix(".csv"))
    title = title or f"Training curves: {Path(runs_root).name}, {len(names)} stages x {len(seeds)} seed(s)"
    atomic_savefig(out_png, plot_training_curves(runs, title=title), dpi=_DPI)
    return table
