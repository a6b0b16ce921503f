"""A recipe choice on real_val, and its check on a benchmark seed never used to make it.

``selected_real_val``: per row of a reports/training_curves.csv, the real_val RMS-log at each
seed's selected epoch of the row's LAST training stage (module-only runs are left out: their
validation numbers are not a row's D). ``seed_check``: for finished working copies, per row the
real_val RMS-log (run summary) and the test RMS-log (results), A's IoU / AUC on the test images,
and the Fig. 4 statistics of ARC:full against mix, mix + fine-tuning and ARC:T, and of ARC:A&T
against ARC:T (per-image gain averaged over seeds, bootstrap 95 % interval; negative = better).
"""

from __future__ import annotations

import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path

from arc.diagnostics.layout import Workdir

MODULE_STAGES = {"translator", "attention", "inpainting", "joint"}


def mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.4f} (1 seed)"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} ({len(values)} seeds)"


def selected_real_val(path: str | Path) -> dict[str, list[float]]:
    """Row (run folder) -> the selected real_val RMS-log of its last stage, one value per seed."""
    last_stage: dict[tuple[str, str], tuple[int, float]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["curve"] != "val" or row["metric"] != "rms_log" or row["selected"] != "1":
                continue
            if row["stage"] in MODULE_STAGES:
                continue
            key, rank = (row["run"], row["seed"]), int(row["panel_order"])
            if key not in last_stage or rank > last_stage[key][0]:
                last_stage[key] = (rank, float(row["value"]))
    by_run: dict[str, list[float]] = defaultdict(list)
    for (run, _seed), (_rank, value) in sorted(last_stage.items()):
        by_run[run].append(value)
    return dict(by_run)


def real_val_table(tables: dict[str, dict[str, list[float]]]) -> str:
    runs = sorted({run for table in tables.values() for run in table})
    lines = ["| row | " + " | ".join(f"{label}: real_val RMS-log" for label in tables) + " |",
             "|---|" + "---|" * len(tables)]
    for run in runs:
        lines.append(f"| {run} | " + " | ".join(mean_std(t.get(run, [])) for t in tables.values()) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------- seed check

def row_numbers(work: Workdir, seeds: list[int], row: str) -> tuple[list[float], list[float]]:
    """(real_val RMS-log of the row's run folder per seed, test RMS-log of its results per seed)."""
    val, test = [], []
    for seed in seeds:
        summary, metrics = work.run_summary(seed, row), work.metrics(seed, row)
        if summary.is_file():
            val.append(float(json.loads(summary.read_text())["val"]["rms_log"]))
        if metrics.is_file():
            test.append(float(json.loads(metrics.read_text())["metrics"]["rms_log"]))
    return val, test


def attention_quality(work: Workdir, seeds: list[int], method: str) -> tuple[list[float], list[float]]:
    iou, auc = [], []
    for seed in seeds:
        path = work.metrics(seed, method)
        if path.is_file():
            info = json.loads(path.read_text())
            iou.append(float(info["mask_iou"]))
            auc.append(float(info["mask_logit_auc"]))
    return iou, auc


def fig4(work: Workdir, method: str, baseline: str, protocol: str, n_bootstrap: int) -> dict:
    from arc.reports.figures import gain_summary, per_sample_gains

    gains = per_sample_gains(work.results_root(), method, baseline, protocol)
    return gain_summary(gains, n_bootstrap=n_bootstrap, seed=0)


def seed_check(works: dict[str, Workdir], seeds: list[int], protocol: str, rho_text: str = "rho0.85",
               n_bootstrap: int = 10000) -> str:
    rows = ("mix", "mix_ft", "arc_t", f"arc_at-{rho_text}", f"arc_full-{rho_text}")
    labels = list(works)
    out = []

    def table(title: str, which: int) -> None:
        out.extend([title, "| row | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)])
        for row in rows:
            out.append(f"| {row} | " + " | ".join(mean_std(row_numbers(works[l], seeds, row)[which]) for l in labels) + " |")

    table(f"real_val RMS-log (selected epoch of the row's last stage), seeds {seeds}", 0)
    out.append("")
    table("test RMS-log (read after the choice)", 1)
    full = f"arc_full-{rho_text}"
    out += ["", f"A of ARC: full ({rho_text}) on the test images: IoU with the true clutter / AUC of its logits"]
    for label in labels:
        iou, auc = attention_quality(works[label], seeds, full)
        out.append(f"- {label}: IoU {mean_std(iou)}, AUC {mean_std(auc)}")
    out += ["", f"Fig. 4 statistics of ARC: full ({rho_text}): mean per-image RMS-log gain [95 % bootstrap interval]",
            "| against | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]

    def cell(s: dict) -> str:
        return f"{s['mean_gain']:+.3f} [{s['ci95_low']:+.3f}, {s['ci95_high']:+.3f}]"

    for base in ("mix", "mix_ft", "arc_t"):
        out.append(f"| {base} | " + " | ".join(cell(fig4(works[l], full, base, protocol, n_bootstrap)) for l in labels) + " |")
    out.append("| ARC: A&T against ARC: T | " + " | ".join(
        cell(fig4(works[l], f"arc_at-{rho_text}", "arc_t", protocol, n_bootstrap)) for l in labels) + " |")
    return "\n".join(out)
