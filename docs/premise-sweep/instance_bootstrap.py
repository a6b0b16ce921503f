"""Across benchmark instances: each instance's mean per-image gain (arc.reports.figures.per_sample_gains,
averaged over its training seeds), and a two-level bootstrap of the mean over instances (resample the
instances, then the images within each), which counts the instance-to-instance spread that the
image-pooled interval of `arc diagnose pooled-gain` leaves out.

    python docs/premise-sweep/instance_bootstrap.py ARC_METHOD BASELINE RESULTS_ROOT...
"""
import sys

import numpy as np

from arc.reports.figures import per_sample_gains

arc_method, baseline, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
gains = [per_sample_gains(root, arc_method, baseline, "synthrooms-indoor")["gain"].to_numpy() for root in roots]
rng = np.random.default_rng(0)
draws = []
for _ in range(5000):
    picked = rng.integers(len(gains), size=len(gains))
    draws.append(np.mean([rng.choice(gains[i], size=gains[i].size).mean() for i in picked]))
means = [g.mean() for g in gains]
low, high = np.percentile(draws, [2.5, 97.5])
print(f"{arc_method} vs {baseline}: per instance " + ", ".join(f"{m:+.4f}" for m in means)
      + f"; mean {np.mean(means):+.4f}, two-level bootstrap 95 % [{low:+.4f}, {high:+.4f}] ({len(roots)} instances)")
