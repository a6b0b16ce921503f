"""Time SynthRooms generation at the sizes in params.yaml (data.synthrooms) for both families.

    python benchmarks/bench_generate.py [--params params.yaml] [--workers 2] [--seed 0]

Writes into a temporary directory (deleted afterwards) and prints seconds per
family, the total, and the clutter / valid-depth statistics from meta.json.
The issue's target: the whole demo-size benchmark in under 60 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from arc.config import load_params

from arc.data.synthrooms import FAMILIES, generate_benchmark

COUNT_KEYS = ("n_syn_train", "n_real_train", "n_real_val", "n_real_test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = load_params(args.params, check_paths=False)["data"]["synthrooms"]

    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for family in FAMILIES:
            cfg = sizes[family]
            counts = {k.removeprefix("n_"): int(cfg[k]) for k in COUNT_KEYS}
            start = time.perf_counter()
            meta = generate_benchmark(family, Path(tmp) / family, height=int(cfg["height"]), width=int(cfg["width"]),
                                      counts=counts, seed=args.seed, workers=args.workers)
            seconds = time.perf_counter() - start
            total += seconds
            n = sum(counts.values())
            print(f"{family:8s} {cfg['height']}x{cfg['width']}  {n:5d} images  {seconds:6.2f} s  "
                  f"({1000 * seconds / n:.1f} ms/image, {args.workers} worker(s))")
            for split, info in meta["splits"].items():
                line = f"    {split:10s} valid depth mean {info['valid_fraction']['mean']:.3f}"
                if "clutter_fraction" in info:
                    c = info["clutter_fraction"]
                    line += f"   clutter mean {c['mean']:.3f} (min {c['min']:.3f}, max {c['max']:.3f})"
                print(line)
    print(f"total    {total:6.2f} s  (target < 60 s on 2 cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
