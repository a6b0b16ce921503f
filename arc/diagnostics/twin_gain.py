"""How much the clutter costs each row's own networks: the row's pipeline on the clutter-free twin of
every test image (a perfect A and a perfect I: nothing to remove, nothing to fill) against the same
pipeline on the image as captured, per image with Fig. 4's bootstrap interval.

Where a perfect A pays for ARC: T's D but not for ARC: full's, the gain is lost in the fine-tuning
under the learned A's masks, not in A's place in the pipeline (docs/premise-sweep/README.md).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from arc.diagnostics.layout import Workdir, link_results

TWIN_SUFFIX = "_on_twin"


class KeepEverything(nn.Module):
    """A row's pipeline with A's mask replaced by 'keep every pixel' (I then changes nothing)."""

    def __init__(self, pipeline: nn.Module):
        super().__init__()
        self.pipeline = pipeline
        self.arc_meta = getattr(pipeline, "arc_meta", None)

    def forward(self, x: torch.Tensor, hard: bool = True) -> dict:
        keep = torch.ones_like(x[:, :1]) if getattr(self.pipeline, "attention", None) is not None else None
        out = self.pipeline(x, hard=True, mask=keep) if keep is not None else self.pipeline(x, hard=True)
        return {**out, "mask": None, "mask_logits": None}


def twin_gains(work: Workdir, methods: dict[str, str], seeds: list[int], protocol: str, out: Path, *,
               against: list[str] = (), n_bootstrap: int = 10000, bootstrap_seed: int = 0) -> list[dict]:
    """``methods``: result name -> run folder of its model. Writes ``<out>/seed<S>/<method>_on_twin``
    (and links the results it compares with); returns one row per (method on the twin, baseline)."""
    from arc.evaluation.predict import predict_split
    from arc.evaluation.protocols import get_protocol
    from arc.reports.figures import gain_summary, per_sample_gains
    from arc.training.checkpoint import load_pipeline

    out = Path(out)
    for seed in seeds:
        for method in [*methods, *against]:
            link_results(work.results_root() / f"seed{int(seed)}" / method, out / f"seed{int(seed)}" / method)
        for method, folder in methods.items():
            target = out / f"seed{int(seed)}" / f"{method}{TWIN_SUFFIX}"
            if not (target / "metrics.json").is_file():
                pipeline = KeepEverything(load_pipeline(work.checkpoint(seed, folder)))
                predict_split(pipeline, work.split("real_test"), target, method=f"{method}{TWIN_SUFFIX}", seed=int(seed),
                              protocol=get_protocol(protocol), input_array="clean_rgb")
    rows = []
    for method in methods:
        for baseline in dict.fromkeys([method, *against]):  # its own first, each once
            gains = per_sample_gains(out, f"{method}{TWIN_SUFFIX}", baseline, protocol)
            stats = gain_summary(gains, n_bootstrap=n_bootstrap, seed=bootstrap_seed)
            rows.append({"on_twin": method, "baseline": baseline, "gain": stats["mean_gain"],
                         "ci95_low": stats["ci95_low"], "ci95_high": stats["ci95_high"],
                         "fraction_improved": stats["fraction_improved"], "n_images": stats["n"]})
    return rows


def format_twin_gains(rows: list[dict]) -> str:
    lines = ["row's networks on the twin  vs   baseline           RMS-log gain [95 % CI]   improved"]
    for r in rows:
        lines.append(f"{r['on_twin']:27s} vs   {r['baseline']:18s} {r['gain']:+.4f} [{r['ci95_low']:+.4f}, "
                     f"{r['ci95_high']:+.4f}]   {100 * r['fraction_improved']:.0f} %")
    return "\n".join(lines)
