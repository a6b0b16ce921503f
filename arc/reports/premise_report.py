"""The premise report: does this benchmark hold ARC's premise, for the networks this run trained?

For every training seed, ``arc.evaluation.premise.measure_premise`` is run on ``real_val`` for
- the mix-trained D (the paper's premise: the twin beats the image by >= 5 % RMS-log),
- the D that A is trained against (``training.attention.depth_row``), on x with the raw A's mask
  and on T(x) with the translated A's mask, where the rows have those modules; these compare A's
  mask with the true clutter on A's own objective.
The report gives, per setting and intervention, the RMS-log change against the image as
captured (mean ± std over seeds), and A's IoU with the clutter on real_val. SynthRooms only: the
premise needs the clutter mask, its kinds and the clutter-free twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from arc.errors import ConfigError
from arc.settings import setting
from arc.evaluation.premise import IN_KIND, INTERVENTIONS
from arc.evaluation.protocols import Protocol
from arc.reports.markdown import markdown_table
from arc.utils.atomic import atomic_write_json, atomic_write_text


@dataclass(frozen=True)
class PremiseSetting:
    """One fixed D to measure: run-folder names (under runs/<benchmark>/seed<k>/) of its parts."""

    label: str
    depth: str
    translator: str | None = None
    attention: str | None = None

    def folders(self) -> list[str]:
        return [f for f in (self.depth, self.translator, self.attention) if f is not None]


def premise_settings(params: dict) -> list[PremiseSetting]:
    """The settings this preset's rows make measurable; A's folders as the row plans name them (at the
    Table-2 rho where A reads it)."""
    rows = params.get("rows") or {}
    if "mix" not in rows:
        raise ConfigError("rows.mix: the premise report measures the mix-trained D; the preset has no mix row")
    from arc.training.rows import plan_row

    attention_row = setting(params, "training.attention.depth_row")
    settings = [PremiseSetting("mix D", "mix")]
    # A's folder as the row plans name it (one shared A when stage 3 reads neither T nor rho)
    for with_t, label, translator in ((False, "raw A", None), (True, "translated A", "translator")):
        row = next((r for r, spec in rows.items() if "A" in (spec.get("modules") or [])
                    and ("T" in (spec.get("modules") or [])) == with_t), None)
        if row is None:
            continue
        attention = next(step.name for step in plan_row(params, row) if step.stage == "attention")
        through = " through T" if with_t else ""
        settings.append(PremiseSetting(f"A's D ({attention_row}){through}, {label}", attention_row, translator, attention))
    return settings


def build_premise_report(params: dict, runs_root: str | Path, split_dir: str | Path, protocol: Protocol,
                         seeds: list[int]) -> pd.DataFrame:
    """Long table: one row per (setting, seed, intervention) with RMS-log/Rel and their change in %."""
    import torch

    from arc.evaluation.premise import measure_premise
    from arc.training.checkpoint import load_module

    torch.set_num_threads(int((params.get("runtime") or {}).get("num_threads") or 1))
    records = []
    for seed in seeds:
        folder = Path(runs_root) / f"seed{seed}"
        for setting in premise_settings(params):
            load = lambda name, role: load_module(folder / name / "checkpoint.pt", role, needed_for="the premise report")
            result = measure_premise(
                load(setting.depth, "depth"), split_dir, protocol, seed=seed,
                translator=load(setting.translator, "translator") if setting.translator else None,
                attention=load(setting.attention, "attention") if setting.attention else None,
            )
            attention = result.get("attention") or {}
            for row in result["rows"]:
                records.append({
                    "setting": setting.label, "seed": seed, "intervention": row["intervention"],
                    "rms_log": row["rms_log"], "abs_rel": row["abs_rel"],
                    "rms_log_change_pct": row["rms_log_change_pct"], "abs_rel_change_pct": row["abs_rel_change_pct"],
                    "clutter_fraction": result["clutter_fraction"],
                    "attention_iou": attention.get("iou_with_clutter", np.nan),
                    "attention_removed_fraction": attention.get("removed_fraction", np.nan),
                    # RMS-log inside each clutter kind's pixels: which kind D misreads, and how much the twin helps there
                    **{key: value for key, value in row.items() if key.startswith(IN_KIND)},
                })
    return pd.DataFrame.from_records(records)


def kind_table(frame: pd.DataFrame) -> list[str]:
    """Markdown lines: per clutter kind and setting, RMS-log inside the kind's pixels as captured and
    its change on the twin (mean over seeds); [] when the frame has no per-kind columns."""
    columns = [c for c in frame.columns if c.startswith(IN_KIND) and c != f"{IN_KIND}background"]
    settings = list(dict.fromkeys(frame["setting"]))
    rows = []
    for column in columns:
        cells = []
        for setting in settings:
            part = frame[frame["setting"] == setting].set_index(["seed", "intervention"])[column].unstack()
            if not {"as_captured", "twin"} <= set(part.columns) or part["as_captured"].isna().all():
                cells.append("–")
                continue
            change = 100.0 * (part["twin"] / part["as_captured"] - 1.0)
            cells.append(f"{_mean_std(part['as_captured'], '.3f')} ({_mean_std(change, '+.1f')} %)")
        rows.append([column[len(IN_KIND):], *cells])
    if not rows:
        return []
    return ["", "Inside each clutter kind's pixels: RMS-log as captured (its change on the twin, mean ± std over seeds).",
            "", markdown_table(["clutter kind", *settings], rows).rstrip("\n")]


def _mean_std(values: pd.Series, fmt: str) -> str:
    values = values.dropna()
    if not len(values):
        return "–"
    text = format(values.mean(), fmt)
    return text + (f" ± {values.std(ddof=1):{fmt.lstrip('+')}}" if len(values) > 1 else "")


def premise_markdown(frame: pd.DataFrame, split: str) -> str:
    settings = list(dict.fromkeys(frame["setting"]))
    seeds = sorted(frame["seed"].unique())
    header = ["input to D", *settings]
    rows = []
    for intervention in INTERVENTIONS:
        part = frame[frame["intervention"] == intervention]
        if not len(part):
            continue
        cells = []
        for setting in settings:
            values = part[part["setting"] == setting]
            if intervention == "as_captured":
                cells.append(_mean_std(values["rms_log"], ".4f") if len(values) else "–")
            else:
                cells.append(_mean_std(values["rms_log_change_pct"], "+.1f") + " %" if len(values) else "–")
        rows.append([intervention, *cells])
    lines = [
        "# The premise: a fixed D's error on counterfactual inputs",
        "",
        f"`{split}`, {len(seeds)} training seed(s) ({', '.join(map(str, seeds))}); mean ± std over seeds. First row: "
        "RMS-log on the image as captured; the others: RMS-log change against it (negative = the change helps). "
        "Removed pixels get A's training fill (0). See `arc.evaluation.premise` for each intervention.",
        "",
        markdown_table(header, rows).rstrip("\n"),
        "",
        f"Clutter covers {100 * frame['clutter_fraction'].mean():.1f} % of the pixels.",
    ]
    lines += kind_table(frame)
    for setting in settings:
        values = frame[(frame["setting"] == setting) & (frame["intervention"] == "attention_removed")]
        if len(values):
            lines.append(f"{setting}: A's mask removes {_mean_std(100 * values['attention_removed_fraction'], '.1f')} % "
                         f"of the pixels; IoU with the clutter {_mean_std(values['attention_iou'], '.3f')}.")
    return "\n".join(lines) + "\n"


def write_premise_report(frame: pd.DataFrame, out_csv: str | Path, split: str) -> Path:
    """CSV (long), Markdown summary and JSON next to it; each written atomically."""
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_csv, frame.to_csv(index=False))
    atomic_write_text(out_csv.with_suffix(".md"), premise_markdown(frame, split))
    atomic_write_json(out_csv.with_suffix(".json"), frame.to_dict(orient="records"))
    return out_csv
