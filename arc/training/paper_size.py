"""Every training stage a preset's rows use, a few steps each, at the preset's input size, on a
synthetic cache of that size: what the step benchmark (benchmarks/bench_stage_steps.py, at the
preset's network widths) and the paper-size test (tests/test_paper_size.py, with the networks
narrowed by ``narrow_networks``) run. The stages run through the workflow's own code path
(``plan_row`` + ``get_stage(...).run``, as ``arc train row`` does), so each stage after the first
reloads the checkpoints its upstream stages wrote.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path

from arc.config import benchmark_size

CACHE_SPLITS = {"syn_train": "synthetic", "real_train": "real", "real_val": "real", "real_test": "real"}


@dataclass
class StageRun:
    name: str           # the step's folder (e.g. attention_t-rho0.85)
    stage: str          # the stage kind (e.g. attention)
    steps: int
    seconds: float      # the stage's wall time: its steps + one validation pass + checkpoint writes
    peak_mb: float      # peak memory while it ran (CPU: resident set; CUDA: allocated on the GPU)
    images: int         # training images it consumed (steps x batch size)


def covering_rows(params: dict) -> list[str]:
    """Fewest rows (in the preset's order, greedy) whose stages include every stage kind used."""
    remaining = {s for row in params["rows"].values() for s in row["stages"]}
    chosen = []
    while remaining:
        name = max(params["rows"], key=lambda r: len(remaining & set(params["rows"][r]["stages"])))
        chosen.append(name)
        remaining -= set(params["rows"][name]["stages"])
    return chosen


def shrink_schedule(params: dict, *, steps: int, device: str, threads: int) -> dict:
    """The preset with its networks and input size untouched, batch 1 and every schedule cut to one
    epoch of ``steps`` steps (each ``*epochs`` key 1, each ``iterations`` key 1)."""
    params = copy.deepcopy(params)
    params["optim"]["batch_size"] = 1
    for cfg in params["training"].values():
        if isinstance(cfg, dict):
            for key in cfg:
                if key.endswith("epochs") or key.endswith("epochs_per_step") or key == "iterations":
                    cfg[key] = 1
    params["runtime"].update(device=device, num_threads=threads, num_workers=0,
                             precision="bf16" if device == "cuda" else "fp32")
    params["models"]["vgg"].update(weights=None, fallback="random")  # ImageNet values do not change the cost
    params["rho_sweep"] = [params["rho"]]
    params["seeds"] = [params["seed"]]
    return params


def narrow_networks(params: dict, *, width: int) -> dict:
    """The preset with every network's ``base_width`` (and the T2Net feature GAN's ``hidden_width``)
    set to ``width``: the architectures and the input size stay, the compute drops ~(64/width)^2."""
    params = copy.deepcopy(params)
    for cfg in params["models"].values():
        if isinstance(cfg, dict):
            for key in ("base_width", "hidden_width"):
                if key in cfg:
                    cfg[key] = width
    return params


def write_cache(root: Path, params: dict, frames: int) -> Path:
    """A benchmark cache (arc/data/cache.py format) of ``frames`` random frames per split at the
    preset's size: uint8 RGB and uint16 depth (mm) inside the benchmark's depth range."""
    import json

    import numpy as np

    height, width = benchmark_size(params)
    max_depth = 10.0 if params["benchmark"] in ("nyu-pbrs", "synthrooms-indoor") else 80.0
    family = "indoor" if max_depth == 10.0 else "outdoor"
    rng = np.random.default_rng(params["seed"])
    for split, domain in CACHE_SPLITS.items():
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "rgb.npy", rng.integers(0, 256, (frames, height, width, 3), dtype=np.uint8))
        depth_mm = rng.uniform(0.5, max_depth * 0.9, (frames, height, width)) * 1000.0
        np.save(folder / "depth.npy", depth_mm.astype(np.uint16) if max_depth <= 65 else (depth_mm / 10).astype(np.uint16))
        manifest = {"format": "arc-cache/1", "benchmark": params["benchmark"], "dataset": "random", "family": family,
                    "domain": domain, "split": split, "count": frames, "height": height, "width": width,
                    "max_depth": max_depth, "depth_scale": 0.001 if max_depth <= 65 else 0.01,
                    "names": [f"{split}_{i:04d}" for i in range(frames)],
                    "arrays": {"rgb": "rgb.npy", "depth": "depth.npy"}, "eval_only": []}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return root


def _peak_reset(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()
        return
    try:  # Linux: writing 5 resets the peak resident set (VmHWM) of this process
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb(device: str) -> float:
    if device == "cuda":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stages(params: dict, data_dir: Path, root: Path, rows: list[str] | None = None) -> list[StageRun]:
    """Train the steps of ``rows`` (default: the covering rows) into ``root``; a step another row
    already trained is not repeated. Returns one record per step trained."""
    from arc.training.rows import plan_row
    from arc.training.stages import get_stage

    device = params["runtime"]["device"]
    done: list[StageRun] = []
    for row in rows or covering_rows(params):
        for step in plan_row(params, row):
            if any(r.name == step.name for r in done):
                continue
            upstream = {kwarg: root / name / "checkpoint.pt" for kwarg, name in step.needs.items()}
            _peak_reset(device)
            start = time.perf_counter()
            summary = get_stage(step.stage).run(params, data_dir=data_dir, seed=params["seed"], out_dir=root / step.name,
                                                resume=False, **step.options, **upstream)
            seconds = time.perf_counter() - start
            steps = int(summary["steps"])
            done.append(StageRun(step.name, step.stage, steps, seconds, _peak_mb(device),
                                 steps * int(params["optim"]["batch_size"])))
    return done
