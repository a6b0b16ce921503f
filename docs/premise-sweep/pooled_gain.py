"""Per-image RMS-log gains pooled over several benchmark instances (sweep level folders).

Each folder's gains are computed as the sweep computes them (arc.reports.figures.per_sample_gains:
per test image, averaged over that folder's training seeds); the images of all folders are then
pooled and the seeded bootstrap 95 % interval of the mean taken (Fig. 4's statistics).

    python docs/premise-sweep/pooled_gain.py RHO FOLDER [FOLDER ...]

FOLDER is a level folder (runs/premise_sweep/level3 of a run); RHO the rho of its ARC rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from arc.reports.figures import gain_summary, per_sample_gains

PROTOCOL = "synthrooms-indoor"


def comparisons(rho: str) -> list[tuple[str, str]]:
    return [(f"arc_full-rho{rho}", "mix_ft"), (f"arc_full-rho{rho}", "arc_t"), (f"arc_at-rho{rho}", "arc_t"),
            ("oracle_flat_mask", "arc_t"), ("oracle_flat_mask_t", "arc_t")]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    rho, folders = argv[0], [Path(f) for f in argv[1:]]
    print(f"{len(folders)} benchmark instance(s): " + ", ".join(str(f) for f in folders))
    for method, baseline in comparisons(rho):
        gains = pd.concat([per_sample_gains(f / "results" / PROTOCOL, method, baseline, PROTOCOL) for f in folders])
        s = gain_summary(gains, n_bootstrap=2000, seed=0)
        print(f"{method:22s} vs {baseline:7s} {s['mean_gain']:+.4f} [{s['ci95_low']:+.4f}, {s['ci95_high']:+.4f}]"
              f"  {s['n']} images, {100 * s['fraction_improved']:.0f} % improved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
