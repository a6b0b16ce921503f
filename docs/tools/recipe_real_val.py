"""real_val RMS-log of every Table-2 row, for choosing a recipe on validation only.

Reads one or more reports/training_curves.csv (LABEL=PATH) and prints, per row, the mean ± std
over training seeds of the real_val RMS-log at each seed's selected epoch of the row's LAST
training stage (the network the row is evaluated with). Module-only runs (translator, attention,
inpainting, joint) are left out: their validation numbers are not a row's D.

    python docs/tools/recipe_real_val.py today=docs/demo-results/syn400/training_curves.csv \
        authors=docs/demo-results/recipe-authors/training_curves.csv
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import defaultdict

MODULE_STAGES = {"translator", "attention", "inpainting", "joint"}


def selected_real_val(path: str) -> dict[str, list[float]]:
    last_stage: dict[tuple[str, str], tuple[str, float]] = {}
    order: dict[str, int] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["curve"] != "val" or row["metric"] != "rms_log" or row["selected"] != "1":
                continue
            run, stage, seed = row["run"], row["stage"], row["seed"]
            if stage in MODULE_STAGES:
                continue
            rank = int(row["panel_order"])
            key = (run, seed)
            if key not in last_stage or rank > order[f"{run}/{seed}"]:
                last_stage[key] = (stage, float(row["value"]))
                order[f"{run}/{seed}"] = rank
    by_run: dict[str, list[float]] = defaultdict(list)
    for (run, _seed), (_stage, value) in sorted(last_stage.items()):
        by_run[run].append(value)
    return by_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves", nargs="+", help="LABEL=path/to/training_curves.csv")
    args = parser.parse_args()
    tables = {}
    for item in args.curves:
        label, _, path = item.partition("=")
        tables[label] = selected_real_val(path)
    runs = sorted({run for table in tables.values() for run in table})
    print("| row | " + " | ".join(f"{label}: real_val RMS-log" for label in tables) + " |")
    print("|---|" + "---|" * len(tables))
    for run in runs:
        cells = []
        for table in tables.values():
            values = table.get(run)
            if not values:
                cells.append("–")
            elif len(values) == 1:
                cells.append(f"{values[0]:.4f} (1 seed)")
            else:
                cells.append(f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} ({len(values)} seeds)")
        print(f"| {run} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
