"""Fakes shared by the evaluation and report tests (no tests here).

- ``write_fake_cache``: a tiny cache split in the documented layout
  (docs/ARCHITECTURE.md, "Benchmarks and the decoded cache").
- ``open_split``: ``arc.data.cache.open_cache`` (the fake cache must pass its checks).
- ``FakePipeline``: ``forward(x, hard=True)`` -> dict like ARCPipeline's.
- ``write_fake_run``: a results/<bench>/seed<S>/<method>/ folder with given numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.results import METRICS_FILE, PER_SAMPLE_FILE, RESULTS_FORMAT, method_dir, write_per_sample_csv

DEPTH_SCALE = 0.001  # metres per uint16 unit in the fake cache


def write_fake_cache(
    split_dir: Path, *, n: int = 5, height: int = 8, width: int = 12, max_depth: float = 10.0,
    with_clutter: bool = True, seed: int = 0,
) -> Path:
    rng = np.random.default_rng(seed)
    split_dir.mkdir(parents=True, exist_ok=True)
    rgb = rng.integers(0, 256, size=(n, height, width, 3), dtype=np.uint8)
    depth_m = rng.uniform(0.5, 7.5, size=(n, height, width))  # x1.3 stays under the 10 m clamp
    depth_m[:, 0, :] = 0.0  # a row of invalid pixels
    depth = np.round(depth_m / DEPTH_SCALE).astype(np.uint16)
    arrays = {"rgb": "rgb.npy", "depth": "depth.npy"}
    np.save(split_dir / "rgb.npy", rgb)
    np.save(split_dir / "depth.npy", depth)
    eval_only = []
    if with_clutter:
        clutter = np.zeros((n, height, width), dtype=np.uint8)
        clutter[:, height // 2:, : width // 3] = 1
        clean_rgb = (255 - rgb).astype(np.uint8)
        for name, array in (("clutter_mask", clutter), ("clean_rgb", clean_rgb), ("clean_depth", depth)):
            np.save(split_dir / f"{name}.npy", array)
            arrays[name] = f"{name}.npy"
            eval_only.append(name)
    manifest = {
        "format": "arc-cache/1", "benchmark": "synthrooms-indoor", "dataset": "synthrooms", "family": "indoor",
        "domain": "real", "split": split_dir.name, "count": n, "height": height, "width": width,
        "max_depth": max_depth, "depth_scale": DEPTH_SCALE, "names": [f"img{i:03d}" for i in range(n)],
        "arrays": arrays, "eval_only": eval_only,
    }
    (split_dir / "manifest.json").write_text(json.dumps(manifest))
    return split_dir


def open_split(split_dir):
    from arc.data.cache import open_cache

    return open_cache(split_dir)


class FakePipeline(torch.nn.Module):
    """depth_unit = channel mean of x, shrunk; mask keeps pixels whose red channel is >= 0."""

    def __init__(self, with_mask: bool = True):
        super().__init__()
        self.with_mask = with_mask
        self.attention = torch.nn.Identity() if with_mask else None  # as ARCPipeline: rows with A have one
        self.calls = []

    def forward(self, x, tau=None, hard=None):
        self.calls.append(hard)
        depth_unit = 0.8 * x.mean(dim=1, keepdim=True)
        mask = (x[:, :1] >= 0).float() if self.with_mask else None
        translated = -x
        inpainted = translated if mask is None else mask * translated
        return {"translated": translated, "mask": mask, "masked": inpainted, "inpainted": inpainted,
                "net_input": inpainted, "depth_unit": depth_unit}


def write_fake_run(
    results_root: Path, method: str, seed: int, *, metrics: dict, per_sample: list[dict] | None = None,
    protocol: str = "synthrooms-indoor", benchmark: str = "synthrooms-indoor", rho: float | None = None,
    mask_iou: float | None = None, keep_rate: float | None = None,
) -> Path:
    path = method_dir(results_root, seed, method)
    path.mkdir(parents=True, exist_ok=True)
    per_sample = per_sample or [{"name": "img000", **metrics, "n_valid": 10}]
    info = {"format": RESULTS_FORMAT, "method": method, "seed": seed, "rho": rho, "benchmark": benchmark,
            "dataset": "synthrooms", "split": "real_test", "protocol": protocol, "n_images": len(per_sample),
            "n_valid_images": len(per_sample), "metrics": {k: float(metrics[k]) for k in METRIC_KEYS}}
    if keep_rate is not None:
        info.update(keep_rate=keep_rate, mask_iou=mask_iou)
    (path / METRICS_FILE).write_text(json.dumps(info))
    write_per_sample_csv(path / PER_SAMPLE_FILE, per_sample)
    return path


def uniform_metrics(value: float) -> dict:
    return {k: value for k in METRIC_KEYS}
