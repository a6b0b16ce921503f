"""Tables 2/3 (one row per method) and Table 4 (inside/outside masks) as CSV, Markdown and JSON.

CSV columns of the main table: method, label, the seven metrics (mean over
seeds), ``<metric>_std`` (sample std over seeds; empty for one seed),
protocol, dataset, n_seeds, then rho, mask_iou(_std), keep_rate(_std) (rows with A).
The Markdown puts the paper's numbers under ours, and says so plainly when
ours come from a different dataset (the embedded SynthRooms benchmark).

With also-protocols (evaluation.also_protocols) the same table under each of them
goes beside the primary one: ``<stem>.<protocol>.csv/.md/.json`` next to
``<stem>.csv`` (no headline-metrics file: `dvc metrics` follows the primary).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from arc.dag import base_method
from arc.errors import DataError
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.protocols import Protocol, get_protocol
from arc.evaluation.results import METRICS_FILE, load_method_runs, method_dir
from arc.reports.aggregate import seed_metrics_frame, single_value, summarise_over_seeds
from arc.reports.markdown import fmt_delta, fmt_value, markdown_table, metric_header
from arc.reports.methods import method_label
from arc.reports.paper import PAPER_TABLES, is_embedded_benchmark, paper_rows, paper_table_for
from arc.reports.regions import RECALL_PREFIX
from arc.utils.atomic import atomic_write_text

STD_COLUMNS = [f"{k}_std" for k in METRIC_KEYS]
# The columns the README and `dvc metrics show` lead with (Rel, RMS, RMS-log, delta < 1.25).
HEADLINE_METRICS = ("abs_rel", "rms", "rms_log", "delta1")
MAIN_COLUMNS = ["method", "label", *METRIC_KEYS, *STD_COLUMNS, "protocol", "dataset", "n_seeds",
                "rho", "mask_iou", "mask_iou_std", "keep_rate", "keep_rate_std",
                "mask_iou_appearance", "mask_iou_appearance_std", "mask_logit_auc", "mask_logit_auc_std"]


def _nan_to_none(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def frame_records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _nan_to_none(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    return atomic_write_text(path, frame.to_csv(index=False, float_format="%.8g", lineterminator="\n"))


# ------------------------------------------------------------------ Tables 2/3


def build_main_table(
    results_root: str | Path,
    methods: list[str],
    protocol: str,
    *,
    params: dict | None = None,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """One row per method, metrics averaged over the seeds found under ``results_root``."""
    per_seed = seed_metrics_frame(results_root, methods, protocol, allow_missing=allow_missing)
    _refuse_non_finite(per_seed, results_root)
    dataset = single_value(per_seed, "benchmark", "benchmark")
    summary = summarise_over_seeds(per_seed, ["method"], [*METRIC_KEYS, "mask_iou", "keep_rate",
                                                          "mask_iou_appearance", "mask_logit_auc"])
    rho = per_seed.groupby("method", sort=False)["rho"].first()
    summary["label"] = [method_label(m, params) for m in summary["method"]]
    summary["protocol"] = protocol
    summary["dataset"] = dataset
    summary["rho"] = [rho.get(m) for m in summary["method"]]
    return summary[MAIN_COLUMNS].reset_index(drop=True)


def _refuse_non_finite(per_seed: pd.DataFrame, results_root: str | Path) -> None:
    """A NaN or inf metric (JSON allows NaN) would become a blank cell or poison a mean: name its file."""
    values = per_seed[list(METRIC_KEYS)].to_numpy(dtype=float)
    bad_rows, bad_cols = np.nonzero(~np.isfinite(values))
    if len(bad_rows):
        row = per_seed.iloc[bad_rows[0]]
        path = method_dir(results_root, int(row["seed"]), row["method"]) / METRICS_FILE
        raise DataError(f"{path}: metrics.{METRIC_KEYS[bad_cols[0]]} = {values[bad_rows[0], bad_cols[0]]}; expected a "
                        f"finite number ({len(bad_rows)} such value(s) in all); rerun the evaluation of that method")


def test_set_note(results_root: str | Path, methods: list[str]) -> str | None:
    """One sentence on the test images behind the table: how many, and why any listed ones were left out."""
    for method in methods:
        for run in load_method_runs(results_root, method):
            frames = run.info.get("test_frames")
            if not frames:
                continue
            if not frames["skipped"]:
                return f"Test set: {frames['evaluated']} images."
            return (f"Test set: {frames['evaluated']} of the {frames['listed']} listed test frames; "
                    f"{frames['skipped']} skipped: {frames['why']}.")
    return None


def also_table_stem(stem: str, protocol: str) -> str:
    """File stem of the main table under an also-protocol: ``table2`` -> ``table2.nyu-standard``."""
    return f"{stem}.{protocol}"


def _protocols_note(protocol: Protocol, primary: str | None, others: dict[str, str]) -> str | None:
    """Which protocol is primary and where the tables under the others are (None: only one protocol)."""
    if primary is not None:
        return (f"Also-protocol table: the same predictions scored under `{protocol.name}`; the primary "
                f"protocol (evaluation.protocol) is `{primary}`, in {others[primary]}.")
    if others:
        beside = ", ".join(f"`{name}` in {path}" for name, path in others.items())
        return f"Primary protocol (evaluation.protocol): `{protocol.name}`. The same table under {beside}."
    return None


def render_main_table_md(table: pd.DataFrame, protocol: Protocol, paper_table: str | None,
                         test_note: str | None = None, *, primary: str | None = None,
                         others: dict[str, str] | None = None) -> str:
    """``primary``: set for a table under an also-protocol (the primary protocol's name);
    ``others``: protocol name -> Markdown file of the tables beside this one."""
    dataset = table["dataset"].iloc[0] if len(table) else ""
    n_seeds = sorted(set(int(n) for n in table["n_seeds"]))
    seeds_text = "/".join(str(n) for n in n_seeds)
    title = PAPER_TABLES[paper_table]["caption"].split(" (")[0] if paper_table else "Results"
    lines = [f"# {title}: {dataset}, protocol `{protocol.name}`", ""]
    lines.append(f"Ours: mean ± sample std over {seeds_text} training seeds; protocol: {protocol.description}.")
    note = _protocols_note(protocol, primary, others or {})
    if note:
        lines.append(note)
    if test_note:
        lines.append(test_note)
    paper = paper_rows(paper_table) if paper_table else None
    if paper is not None:
        info = PAPER_TABLES[paper_table]
        if is_embedded_benchmark(dataset):
            lines += ["", f"**Different dataset.** Our rows are on the embedded `{dataset}` benchmark (generated "
                      f"SynthRooms scenes); the paper's rows are on {info['dataset']} ({info['protocol']}). "
                      "Compare the ordering of rows and the size of gaps, not the values."]
        else:
            lines += ["", f"Paper rows: {info['dataset']} as reported ({info['protocol']}); ours use "
                      f"protocol `{protocol.name}`, which may differ from the paper's evaluation."]
    lines.append("")
    header = ["Method", "Source", *metric_header()]
    rows = []
    paper_by_method = {} if paper is None else {r["method"]: r for _, r in paper.iterrows()}
    ours_source = f"ours ({dataset})"
    for _, row in table.iterrows():
        rows.append([row["label"], ours_source, *(fmt_value(row[k], row[f"{k}_std"]) for k in METRIC_KEYS)])
        ref = paper_by_method.get(base_method(row["method"]))
        if ref is not None:
            rows.append(["", f"paper ({ref['dataset']})", *(fmt_value(ref[k]) for k in METRIC_KEYS)])
    lines.append(markdown_table(header, rows))
    if paper is not None:
        ours = {base_method(m) for m in table["method"]}
        others = paper[~paper["method"].isin(ours)]
        if len(others):
            lines.append(f"Other methods as reported in the paper ({PAPER_TABLES[paper_table]['dataset']}; "
                         "not reproduced here):\n")
            other_rows = [[r["label"], str(r["section"]).replace("_", " "), *(fmt_value(r[k]) for k in METRIC_KEYS)]
                          for _, r in others.iterrows()]
            lines.append(markdown_table(["Method", "Group", *metric_header()], other_rows))
    extras = table.dropna(subset=["mask_iou"]) if "mask_iou" in table else table.iloc[0:0]
    if len(extras):
        lines.append("Attention masks (removed region = where A's mask is 0) against the true clutter mask "
                     "(all kinds, and appearance clutter only: the flat kinds whose removal is right for depth); "
                     "AUC = how well A's logits rank clutter pixels for removal (0.5 = chance):\n")
        lines.append(markdown_table(
            ["Method", "rho", "keep rate", "IoU(removed, clutter)", "IoU(removed, appearance clutter)", "logit AUC"],
            [[r["label"], "–" if pd.isna(r["rho"]) else f"{float(r['rho']):g}", fmt_value(r["keep_rate"], r["keep_rate_std"]),
              fmt_value(r["mask_iou"], r["mask_iou_std"]),
              fmt_value(r.get("mask_iou_appearance"), r.get("mask_iou_appearance_std")),
              fmt_value(r.get("mask_logit_auc"), r.get("mask_logit_auc_std"))] for _, r in extras.iterrows()],
        ))
    return "\n".join(lines)


def write_main_table(
    results_root: str | Path,
    methods: list[str],
    protocol: str,
    out_csv: str | Path,
    *,
    params: dict | None = None,
    paper_table: str | None = "auto",
    md_path: str | Path | None = None,
    json_path: str | Path | None = None,
    metrics_path: str | Path | None = None,
    allow_missing: bool = False,
    also_protocols: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Write ``out_csv`` plus the Markdown, the JSON and the headline-metrics JSON beside it
    (``<stem>.md``, ``<stem>.json``, ``<stem>_metrics.json`` unless given), and for each of
    ``also_protocols`` the same table under it (``also_table_paths``). Returns the primary table.

    ``paper_table``: ``auto`` (Table 2 for indoor protocols, Table 3 for outdoor),
    a table name, or None for no paper rows.
    """
    proto = get_protocol(protocol)
    if paper_table == "auto":
        paper_table = paper_table_for(proto)
    out_csv = Path(out_csv)
    md_path = Path(md_path or out_csv.with_suffix(".md"))
    also_paths = {name: also_table_paths(out_csv, name) for name in also_protocols}
    others = {name: paths[1].name for name, paths in also_paths.items()}
    test_note = test_set_note(results_root, methods)
    table_files = dict(results_root=results_root, methods=methods, params=params, paper_table=paper_table,
                       test_note=test_note, allow_missing=allow_missing)
    table = _write_table_files(proto, out_csv, md_path, Path(json_path or out_csv.with_suffix(".json")),
                               others=others, **table_files)
    atomic_write_text(metrics_path or out_csv.with_name(f"{out_csv.stem}_metrics.json"),
                      json.dumps(headline_metrics(table), indent=2) + "\n")
    for name, (csv_path, md, json_file) in also_paths.items():
        _write_table_files(get_protocol(name), csv_path, md, json_file, primary=protocol,
                           others={protocol: md_path.name}, **table_files)
    return table


def also_table_paths(out_csv: str | Path, protocol: str) -> tuple[Path, Path, Path]:
    """CSV, Markdown and JSON of the main table under an also-protocol, beside ``out_csv``."""
    out_csv = Path(out_csv)
    stem = also_table_stem(out_csv.stem, protocol)
    return tuple(out_csv.with_name(f"{stem}.{ext}") for ext in ("csv", "md", "json"))


def _write_table_files(proto: Protocol, out_csv: Path, md_path: Path, json_path: Path, *, results_root, methods,
                       params, paper_table, test_note, allow_missing, primary: str | None = None,
                       others: dict[str, str]) -> pd.DataFrame:
    table = build_main_table(results_root, methods, proto.name, params=params, allow_missing=allow_missing)
    write_csv(table, out_csv)
    atomic_write_text(md_path, render_main_table_md(table, proto, paper_table, test_note, primary=primary,
                                                    others=others))
    payload = {
        "protocol": proto.summary(),
        "test_set": test_note,
        "dataset": table["dataset"].iloc[0] if len(table) else None,
        "paper_table": paper_table,
        "embedded_benchmark": bool(len(table)) and is_embedded_benchmark(table["dataset"].iloc[0]),
        "rows": frame_records(table),
    }
    if primary is not None:
        payload["primary_protocol"] = primary
    elif others:  # only then: the JSON of a preset without also-protocols is as before
        payload["also_protocols"] = list(others)
    atomic_write_text(json_path, json.dumps(payload, indent=2) + "\n")
    return table


def headline_metrics(table: pd.DataFrame) -> dict:
    """``{row: {metric: seed mean}}`` for `dvc metrics show` / `dvc metrics diff`.

    Keyed by the row name without the rho suffix (``arc_full``, not ``arc_full-rho0.85``) so that
    changing ``rho`` shows as changed values of the same rows, not as rows removed and added.
    """
    out = {}
    for _, row in table.iterrows():
        values = {k: _nan_to_none(float(row[k])) for k in HEADLINE_METRICS}
        values["n_seeds"] = int(row["n_seeds"])
        if not pd.isna(row["rho"]):
            values["rho"] = float(row["rho"])
        key = base_method(row["method"])
        out[key if key not in out else row["method"]] = values  # two rhos of one row: keep both
    return out


# --------------------------------------------------------------------- Table 4

REGION_TITLES = {
    "arc_removed": "Inside ARC's mask (removed / inpainted pixels)",
    "arc_kept": "Outside ARC's mask (kept pixels)",
    "clutter": "Inside the TRUE clutter mask (SynthRooms ground truth)",
    "clutter_free": "Outside the TRUE clutter mask",
}
PAPER_REGION = {"arc_removed": "inside", "arc_kept": "outside"}


def render_table4_md(table: pd.DataFrame, protocol: Protocol) -> str:
    dataset = table["dataset"].iloc[0] if len(table) else ""
    n_seeds = int(table["n_seeds"].max()) if len(table) else 0
    lines = [f"# Table 4: ARC vs mix training inside and outside the mask: {dataset}, protocol `{protocol.name}`", "",
             f"Per image inside/outside the region, then averaged over images; mean ± std over {n_seeds} seeds. "
             "Δ = ARC − mix (↓ is better for errors, ↑ for δ). Both methods are scored on the same pixels: "
             "ARC's mask of the same seed."]
    if is_embedded_benchmark(dataset):
        lines += ["", f"**Different dataset.** Ours are on the embedded `{dataset}` benchmark; the paper's Table 4 "
                  "is on NYUv2."]
    lines.append("")
    paper = paper_rows("table4")
    header = ["Region / method", "images", *metric_header()]
    for region, title in REGION_TITLES.items():
        part = table[table["region"] == region]
        if not len(part):
            continue
        rows = []
        for _, row in part.iterrows():
            if row["method_role"] == "delta":
                cells = [fmt_delta(row[k]) for k in METRIC_KEYS]
            else:
                cells = [fmt_value(row[k], row[f"{k}_std"]) for k in METRIC_KEYS]
            rows.append([row["label"], fmt_value(row["n_images"], digits=0), *cells])
        if region in PAPER_REGION:
            ref = paper[paper["region"] == PAPER_REGION[region]]
            for _, r in ref.iterrows():
                rows.append([f"paper: {r['label']} (NYUv2)", "", *(fmt_value(r[k]) for k in METRIC_KEYS)])
        lines += [f"## {title}", "", markdown_table(header, rows)]
    iou = table.dropna(subset=["mask_iou"])
    if len(iou):
        r = iou.iloc[0]
        line = (f"IoU of A's removed region (mask = 0) with the true clutter mask: "
                f"{fmt_value(r['mask_iou'], r['mask_iou_std'])}; keep rate {fmt_value(r['keep_rate'], r['keep_rate_std'])}")
        if pd.notna(r.get("mask_logit_auc")):
            line += (f"; IoU with appearance clutter {fmt_value(r.get('mask_iou_appearance'), r.get('mask_iou_appearance_std'))}"
                     f"; AUC of A's logits against the clutter {fmt_value(r['mask_logit_auc'], r.get('mask_logit_auc_std'))}"
                     " (0.5 = chance)")
        recall = [(k[len(RECALL_PREFIX):], k) for k in r.index if k.startswith(RECALL_PREFIX) and not k.endswith("_std")]
        if recall:
            line += ("; fraction of each clutter kind that A removes: "
                     + ", ".join(f"{kind} {fmt_value(r[key], r.get(key + '_std'))}" for kind, key in recall))
        lines.append(line + ".\n")
    return "\n".join(lines)


def write_table4(
    table: pd.DataFrame, protocol: Protocol, out_csv: str | Path, md_path: str | Path | None = None
) -> Path:
    out_csv = Path(out_csv)
    write_csv(table, out_csv)
    atomic_write_text(md_path or out_csv.with_suffix(".md"), render_table4_md(table, protocol))
    return out_csv
