"""real_val and test numbers of a few Table-2 rows of one or more finished runs, for checking a recipe
choice on a benchmark seed that was never used to make it.

Each RUN is LABEL=PATH, PATH a working copy whose ``runs/<benchmark>/seed<S>/<row>`` and
``results/<benchmark>/seed<S>/<row>`` folders exist (a whole DAG or only the rows' targets). Prints,
per row and run: real_val RMS-log at each seed's selected epoch (the row's last stage, from its
summary.json; the number a recipe is chosen on), then the test RMS-log and, read after the choice,
the Fig. 4 statistics of ARC:full against mix, mix + fine-tuning and ARC:T, and of ARC:A&T against ARC:T (per-image gain averaged
over seeds, 95 % bootstrap interval; negative = ARC:full better).

    python docs/tools/recipe_seed_check.py --benchmark synthrooms-indoor --seeds 303 304 305 \
        text=/work/s303_text authors=/work/s303_authors
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from arc.reports.figures import gain_summary, per_sample_gains

ROWS = ("mix", "mix_ft", "arc_t", "arc_at-rho0.85", "arc_full-rho0.85")
BASELINES = ("mix", "mix_ft", "arc_t")


def mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    std = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):.4f} ± {std:.4f}"


def row_numbers(root: Path, benchmark: str, seeds: list[int], row: str) -> tuple[list[float], list[float]]:
    val, test = [], []
    for seed in seeds:
        summary = root / "runs" / benchmark / f"seed{seed}" / row / "summary.json"
        metrics = root / "results" / benchmark / f"seed{seed}" / row / "metrics.json"
        if summary.is_file():
            val.append(float(json.loads(summary.read_text())["val"]["rms_log"]))
        if metrics.is_file():
            test.append(float(json.loads(metrics.read_text())["metrics"]["rms_log"]))
    return val, test


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="LABEL=PATH of a working copy")
    parser.add_argument("--benchmark", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--protocol", default=None, help="default: the benchmark's name (SynthRooms protocols)")
    parser.add_argument("--bootstrap", type=int, default=10000)
    args = parser.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    protocol = args.protocol or args.benchmark
    labels = list(runs)

    def row_table(title: str, which: int) -> None:
        print(title)
        print("| row | " + " | ".join(labels) + " |")
        print("|---|" + "---|" * len(labels))
        for row in ROWS:
            cells = [mean_std(row_numbers(Path(runs[label]), args.benchmark, args.seeds, row)[which]) for label in labels]
            print(f"| {row} | " + " | ".join(cells) + " |")

    row_table(f"real_val RMS-log (selected epoch of the row's last stage), seeds {args.seeds}", 0)
    row_table("\ntest RMS-log (read after the choice)", 1)

    print("\nA of ARC: full (rho 0.85) on the test images: IoU with the true clutter / AUC of its logits")
    for label in labels:
        iou, auc = [], []
        for seed in args.seeds:
            path = Path(runs[label]) / "results" / args.benchmark / f"seed{seed}" / "arc_full-rho0.85" / "metrics.json"
            if path.is_file():
                info = json.loads(path.read_text())
                iou.append(float(info["mask_iou"]))
                auc.append(float(info["mask_logit_auc"]))
        print(f"- {label}: IoU {mean_std(iou)}, AUC {mean_std(auc)}")

    print("\nFig. 4 statistics of ARC: full (rho 0.85): mean per-image RMS-log gain [95 % bootstrap interval]")
    print("| against | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for base in BASELINES:
        cells = []
        for label in labels:
            results = Path(runs[label]) / "results" / args.benchmark
            gains = per_sample_gains(results, "arc_full-rho0.85", base, protocol)
            s = gain_summary(gains, n_bootstrap=args.bootstrap, seed=0)
            cells.append(f"{s['mean_gain']:+.3f} [{s['ci95_low']:+.3f}, {s['ci95_high']:+.3f}]")
        print(f"| {base} | " + " | ".join(cells) + " |")
    cells = []
    for label in labels:
        gains = per_sample_gains(Path(runs[label]) / "results" / args.benchmark, "arc_at-rho0.85", "arc_t", protocol)
        s = gain_summary(gains, n_bootstrap=args.bootstrap, seed=0)
        cells.append(f"{s['mean_gain']:+.3f} [{s['ci95_low']:+.3f}, {s['ci95_high']:+.3f}]")
    print("| ARC: A&T against ARC: T | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
