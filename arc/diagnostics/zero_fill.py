"""Which of I and the fine-tuning loses a perfect mask's gain. Two oracle rows of the DAG differ in both:
``oracle_flat_mask`` puts the true flat clutter through ARC: full's I and fine-tuned D, and
``oracle_flat_mask_t`` zero-fills it in front of ARC: T's D. This diagnostic scores the step between
them, ARC: full's own networks with the same true mask zero-filled (I left out, A's training fill):
against ``oracle_flat_mask`` it is what I does, against ``oracle_flat_mask_t`` what ARC: full's
fine-tuning under the learned masks does to D (and T).

The results land in an output folder laid out as a workflow folder (``params.yaml``,
``results/<benchmark>/seed<S>/``, the two oracle rows linked in), so ``arc diagnose pooled-gain``
pools them over benchmark instances."""

from __future__ import annotations

from pathlib import Path

from arc.dag import FLAT_ORACLES
from arc.diagnostics.layout import Workdir, link_results
from arc.errors import DataError

WITH_I, ON_T = FLAT_ORACLES  # oracle_flat_mask (ARC: full's I and D), oracle_flat_mask_t (ARC: T's D, zero fill)
ZERO_FILL = f"{WITH_I}-zero_fill"  # base_method: oracle_flat_mask, so the true flat clutter is removed
# (method, baseline, what the gain measures), each step from the rung below to the rung above
STEPS = ((WITH_I, ZERO_FILL, "adding ARC: full's I (positive = I loses)"),
         (ZERO_FILL, ON_T, "ARC: full's T and D instead of ARC: T's, both zero-filled (positive = the fine-tuning loses)"))


def oracle_checkpoint(work: Workdir, seed: int) -> Path:
    """ARC: full's checkpoint, as the oracle_flat_mask row recorded it."""
    from arc.evaluation.results import read_metrics_json

    metrics = work.metrics(seed, WITH_I)
    if not metrics.is_file():
        raise DataError(f"{metrics}: missing; expected the oracle_flat_mask row's results (a premise-sweep level or "
                        "a SynthRooms run with the oracle rows)")
    info = read_metrics_json(metrics)
    if not info.get("checkpoint"):
        raise DataError(f"{metrics}: no field 'checkpoint'; expected the run folder of ARC: full's checkpoint")
    path = Path(info["checkpoint"])
    return path if path.is_absolute() else work.root / path


def zero_fill_results(work: Workdir, params_file: Path, seeds: list[int], protocol: str, out: Path) -> Path:
    """Write ``<out>/results/<benchmark>/seed<S>/oracle_flat_mask-zero_fill`` for each seed (kept when
    present), link the two oracle rows beside it and the params file to ``<out>/params.yaml``;
    returns the output's results root."""
    from arc.evaluation.predict import predict_split
    from arc.evaluation.protocols import get_protocol
    from arc.training.checkpoint import load_pipeline
    from arc.utils.atomic import atomic_write_text

    out = Path(out)
    out_work = Workdir(out, work.benchmark, work.cache_root)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "params.yaml").exists():
        atomic_write_text(out / "params.yaml", Path(params_file).read_text())
    for seed in seeds:
        for method in FLAT_ORACLES:
            link_results(work.results_root() / f"seed{int(seed)}" / method, out_work.results_root() / f"seed{int(seed)}" / method)
        target = out_work.results_root() / f"seed{int(seed)}" / ZERO_FILL
        if (target / "metrics.json").is_file():
            continue
        checkpoint = oracle_checkpoint(work, seed)
        pipeline = load_pipeline(checkpoint)
        pipeline.inpainter = None  # ARCPipeline then leaves the removed pixels at A's training fill, 0
        predict_split(pipeline, work.split("real_test"), target, method=ZERO_FILL, seed=int(seed),
                      protocol=get_protocol(protocol), checkpoint=checkpoint)
    return out_work.results_root()
