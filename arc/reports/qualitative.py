"""Fig. 5 / 6 / 12: qualitative grid for the best, median and worst per-image gains.

Columns: input x, T(x), mask M (white = kept), the inpainted input to D,
depth of mix training, depth of ARC, ground truth. The three depth panels of a
row share one colour scale (from that row's ground truth), so they can be
compared by eye. Rows are picked from the per-sample RMS-log gains of the
seed whose checkpoints are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from arc.errors import DataError
from arc.reports.figures import per_sample_gains
from arc.reports.methods import method_label
from arc.utils.atomic import atomic_savefig

_DEPTH_CMAP = matplotlib.colormaps["viridis"].with_extremes(bad="0.6")  # grey = no ground truth
GROUPS = ("best", "median", "worst")
COLUMNS = ("input x", "T(x)", "mask M (white = kept)", "inpainted x̃ (input to D)", "depth: {mix}", "depth: {arc}",
           "ground truth")


@dataclass
class Example:
    group: str
    name: str
    gain: float


def select_examples(gains: pd.DataFrame, n_examples: int) -> list[Example]:
    """Split ``n_examples`` over best / median / worst gains (lowest gain = best for ARC).

    ``gains`` must have columns name, gain. An image is drawn at most once.
    """
    if n_examples < 1:
        raise ValueError(f"n_examples must be >= 1, got {n_examples}")
    ordered = gains.sort_values("gain", kind="stable").reset_index(drop=True)
    counts = [n_examples // 3 + (1 if i < n_examples % 3 else 0) for i in range(3)]
    n = len(ordered)
    middle = max(0, n // 2 - counts[1] // 2)
    picks = {
        "best": range(0, counts[0]),
        "median": range(middle, middle + counts[1]),
        "worst": range(n - 1, n - 1 - counts[2], -1),
    }
    chosen, seen = [], set()
    for group in GROUPS:
        for i in picks[group]:
            if 0 <= i < n and ordered.loc[i, "name"] not in seen:
                seen.add(ordered.loc[i, "name"])
                chosen.append(Example(group, str(ordered.loc[i, "name"]), float(ordered.loc[i, "gain"])))
    return chosen


def _open_split(split_dir):
    from arc.data.cache import open_cache

    return open_cache(split_dir)


def _load_pipeline(checkpoint, device: str):
    from arc.training.checkpoint import load_pipeline

    return load_pipeline(checkpoint, device)


def _run(pipeline: Any, rgb: np.ndarray, device: str) -> dict:
    import torch

    from arc.data.transforms import rgb_to_tensor

    x = rgb_to_tensor(np.asarray(rgb)[None]).to(device)
    pipeline.eval()
    with torch.no_grad():
        return pipeline(x, hard=True)


def _image(t) -> np.ndarray:
    from arc.data.transforms import tensor_to_rgb

    return tensor_to_rgb(t[0])


def render_qualitative(
    arc_pipeline: Any,
    mix_pipeline: Any,
    split,
    examples: list[Example],
    *,
    title: str,
    arc_label: str = "ARC: full",
    mix_label: str = "mix training",
    device: str = "cpu",
) -> Figure:
    from arc.data.transforms import unit_to_depth

    max_depth = float(split.manifest["max_depth"])
    names = list(split.names)
    n_rows = len(examples)
    fig = Figure(figsize=(2.3 * len(COLUMNS) + 0.8, 2.0 * n_rows + 0.8), layout="constrained")
    axes = fig.subplots(n_rows, len(COLUMNS), squeeze=False)
    for r, example in enumerate(examples):
        if example.name not in names:
            raise DataError(f"image {example.name!r} (from the per-sample results) is not in the split")
        index = names.index(example.name)
        rgb = np.array(split.rgb[index])  # copy: cache arrays are read-only memmaps
        arc = _run(arc_pipeline, rgb, device)
        mix = _run(mix_pipeline, rgb, device)
        gt = np.asarray(split.depth_m(index), dtype=np.float32)
        valid = gt > 0
        vmin, vmax = (np.percentile(gt[valid], [1, 99]) if valid.any() else (0.0, max_depth))
        depth = {
            "mix": unit_to_depth(mix["depth_unit"].float(), max_depth)[0, 0].cpu().numpy(),
            "arc": unit_to_depth(arc["depth_unit"].float(), max_depth)[0, 0].cpu().numpy(),
        }
        mask = arc.get("mask")
        panels = [
            ("rgb", rgb),
            ("rgb", _image(arc["translated"])),
            ("mask", None if mask is None else mask[0, 0].cpu().numpy()),
            ("rgb", _image(arc["inpainted"])),
            ("depth", depth["mix"]),
            ("depth", depth["arc"]),
            ("depth", np.ma.masked_where(~valid, gt)),
        ]
        for c, (kind, data) in enumerate(panels):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if kind == "rgb":
                ax.imshow(data)
            elif kind == "mask":
                if data is None:
                    ax.text(0.5, 0.5, "no attention\nmodule", ha="center", va="center", transform=ax.transAxes)
                else:
                    ax.imshow(data, cmap="gray", vmin=0, vmax=1)
            else:
                im = ax.imshow(data, cmap=_DEPTH_CMAP, vmin=vmin, vmax=vmax)
            if r == 0:
                ax.set_title(COLUMNS[c].format(mix=mix_label, arc=arc_label), fontsize=9)
        fig.colorbar(im, ax=axes[r, -1], label="depth [m]", shrink=0.9)
        axes[r, 0].set_ylabel(f"{example.group}\n{example.name}\nΔRMS-log {example.gain:+.3f}", fontsize=8)
    fig.suptitle(title + "\n(grey = no ground truth; ΔRMS-log = ARC − mix, negative = ARC better)", fontsize=10)
    return fig


def write_fig_qualitative(
    arc_checkpoint: str | Path,
    mix_checkpoint: str | Path,
    split_dir: str | Path,
    results_root: str | Path,
    out_png: str | Path,
    *,
    arc_method: str,
    protocol: str,
    seed: int,
    baseline_method: str = "mix",
    n_examples: int = 3,
    device: str = "cpu",
    params: dict | None = None,
) -> list[Example]:
    """Pick rows from ``seed``'s per-sample results, run both checkpoints on them, save the grid."""
    gains = per_sample_gains(results_root, arc_method, baseline_method, protocol, combine="pool")
    gains = gains[gains["seed"] == seed]
    if not len(gains):
        raise DataError(f"no per-sample results of seed {seed} for both {arc_method} and {baseline_method} "
                        f"under {results_root}; the checkpoints drawn must be that seed's")
    examples = select_examples(gains, n_examples)
    split = _open_split(split_dir)
    dataset = split.manifest.get("benchmark", "")
    arc_label, mix_label = method_label(arc_method, params), method_label(baseline_method, params)
    fig = render_qualitative(
        _load_pipeline(arc_checkpoint, device),
        _load_pipeline(mix_checkpoint, device),
        split,
        examples,
        title=f"{arc_label} vs {mix_label}: best, median and worst per-image gains, {dataset}, "
              f"protocol {protocol}, seed {seed}",
        arc_label=arc_label,
        mix_label=mix_label,
        device=device,
    )
    atomic_savefig(out_png, fig, dpi=110)
    return examples
