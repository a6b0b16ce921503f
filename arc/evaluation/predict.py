"""Run a trained pipeline over a cached test split and write its results directory.

Layout written (see ``arc.evaluation.results``):
``<out>/{metrics.json, per_sample.csv, pred/<name>.npy, mask/<name>.png}``, plus
``per_sample.<protocol>.csv`` per also-protocol: the network runs once, and each
prediction is scored under the primary protocol and every also-protocol.
The whole directory is built in a temporary sibling and swapped in at the
end, so an interrupted run never leaves a half-written result behind.

Scores are computed on the float16 predictions exactly as stored, so that
re-evaluating ``pred/`` (``arc evaluate``, Table 4) reproduces metrics.json.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from arc.dag import FLAT_ORACLES, MASK_ORACLES, ORACLE_METHODS, SWEPT_ROW, base_method
from arc.errors import DataError
from arc.evaluation.depth_io import encode_mask_png
from arc.evaluation.mask_stats import MaskStats
from arc.evaluation.protocols import Protocol, protocol_for_cache
from arc.evaluation.results import (
    MASK_DIR,
    METRICS_FILE,
    PER_SAMPLE_FILE,
    PRED_DIR,
    RESULTS_FORMAT,
    also_protocol_block,
    per_sample_file,
    write_per_sample_csv,
)
from arc.evaluation.scoring import Scorer, ground_truth_m, require_ground_truth
from arc.utils.atomic import atomic_directory, atomic_write_json

_SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
# Checkpoint metadata copied into metrics.json (provenance of the numbers).
_META_KEYS = ("stage", "row", "seed", "epoch", "step", "selection", "benchmark")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def mask_capable(pipeline: Any) -> bool:
    """Whether the pipeline has an attention module (only then does rho mean anything)."""
    return getattr(pipeline, "attention", None) is not None


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; other names pass through."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def default_input_array(method: str) -> str:
    """The oracle row sees the clutter-free twin of each test image; every other row the real image."""
    return "clean_rgb" if method == "oracle_declutter" else "rgb"


def uses_true_clutter_mask(method: str) -> bool:
    """The oracle-mask rows (arc.dag.MASK_ORACLES): a row's T (I) and D with the true clutter mask in
    place of A's; a checkpoint without A (oracle_flat_mask_t: ARC: T's) gets the removed pixels zero-filled."""
    return base_method(method) in MASK_ORACLES


def true_clutter_keep(method: str, clutter: np.ndarray, kinds: np.ndarray | None, where: Path) -> np.ndarray:
    """The kept pixels of an oracle-mask row: all but the clutter (oracle_mask), or all but the flat
    appearance clutter (oracle_flat_mask: posters, light pools, shadows, whose ground truth is the surface)."""
    from arc.data.synthrooms.clutter import APPEARANCE_KINDS, kind_code

    clutter = np.asarray(clutter) > 0
    if base_method(method) not in FLAT_ORACLES:
        return ~clutter
    if kinds is None:
        raise DataError(f"{where}: method {method!r} needs the clutter_kind array (a SynthRooms real split)")
    flat = np.isin(np.asarray(kinds), [kind_code(k) for k in APPEARANCE_KINDS])
    return ~(clutter & flat)


def _open_split(split_dir: str | Path):
    from arc.data.cache import open_cache  # imported here: the data package is only needed to predict

    return open_cache(split_dir)


def _input_images(split, split_dir: Path, input_array: str):
    if input_array == "rgb":
        return split.rgb
    available = sorted(split.manifest.get("arrays", {}))
    if input_array not in available:
        raise DataError(
            f"{split_dir}: the cache has no {input_array!r} array (has {available}); "
            "the oracle-declutter row needs a SynthRooms real split with clean_rgb"
        )
    return split.array(input_array)


def _clutter_masks(split):
    return split.array("clutter_mask") if "clutter_mask" in split.manifest.get("arrays", {}) else None


def _check_names(names: list[str], split_dir: Path) -> None:
    bad = [n for n in names if not _SAFE_NAME.match(n)]
    if bad:
        raise DataError(f"{split_dir}/manifest.json: sample names must be plain file stems, got {bad[:5]}")
    if len(set(names)) != len(names):
        raise DataError(f"{split_dir}/manifest.json: sample names are not unique")


def run_pipeline(
    pipeline: Any, images, max_depth: float, *, batch_size: int, device: str, given_keep=None,
) -> Iterator[tuple[int, np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """Yield (index, depth in metres as stored: float16 HxW, kept-pixel mask or None, A's logits
    or None) per image. Batched, ``torch.no_grad``, eval mode, hard (binary) attention masks;
    ``given_keep`` (N x H x W, True = keep) replaces A's mask (the oracle-mask row).
    """
    import torch

    from arc.data.transforms import rgb_to_tensor, unit_to_depth

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    pipeline.eval()
    if hasattr(pipeline, "to"):
        pipeline.to(device)
    for start in range(0, len(images), batch_size):
        stop = min(start + batch_size, len(images))
        x = rgb_to_tensor(np.array(images[start:stop])).to(device)  # copy: cache arrays are read-only memmaps
        kwargs = {}
        if given_keep is not None:
            kwargs["mask"] = torch.from_numpy(np.array(given_keep[start:stop], dtype=np.float32))[:, None].to(device)
        with torch.no_grad():
            out = pipeline(x, hard=True, **kwargs)
        depth = unit_to_depth(out["depth_unit"].float(), max_depth)[:, 0].cpu().numpy().astype(np.float16)
        mask, logits = out.get("mask"), out.get("mask_logits")
        keep = None if mask is None else (mask[:, 0] > 0.5).cpu().numpy()
        logits = None if logits is None or given_keep is not None else logits[:, 0].float().cpu().numpy()
        for b in range(stop - start):
            yield start + b, depth[b], None if keep is None else keep[b], None if logits is None else logits[b]


def predict_split(
    pipeline: Any,
    split_dir: str | Path,
    out_dir: str | Path,
    *,
    method: str,
    seed: int,
    protocol: Protocol,
    rho: float | None = None,
    batch_size: int = 16,
    device: str = "cpu",
    input_array: str | None = None,
    checkpoint: str | Path | None = None,
    params: dict | None = None,
    also_protocols: tuple[Protocol, ...] | list[Protocol] = (),
) -> dict:
    """Predict every image of a cache split with ``pipeline`` and write ``out_dir``.

    ``pipeline(x, hard=True)`` must return a dict with ``depth_unit`` (Bx1xHxW in
    [-1, 1]) and ``mask`` (Bx1xHxW, 1 = keep, or None). Returns the metrics.json dict.
    ``rho`` is recorded for pipelines with an attention module: the given value, else
    the checkpoint's (``pipeline.arc_meta``), else the method suffix / params ``rho``.
    ``also_protocols``: the same predictions are scored under each of these too
    (metrics.json ``also_protocols``, ``per_sample.<name>.csv``).
    """
    split_dir = Path(split_dir)
    _check_also_protocols(protocol, also_protocols)
    input_array = input_array or default_input_array(method)
    split = _open_split(split_dir)
    manifest = split.manifest
    names = list(split.names)
    _check_names(names, split_dir)
    max_depth = float(manifest["max_depth"])
    meta = dict(getattr(pipeline, "arc_meta", None) or {})  # set by load_pipeline from the checkpoint
    if meta.get("max_depth") is not None and abs(float(meta["max_depth"]) - max_depth) > 1e-6:
        # D's [-1, 1] output maps to metres with the max_depth it was trained with; a mismatch rescales every depth.
        raise DataError(
            f"checkpoint {checkpoint or '(given pipeline)'} was trained with max_depth {meta['max_depth']} m, "
            f"but {split_dir}/manifest.json says max_depth {max_depth} m; evaluate on the benchmark it was trained on"
        )
    rho = resolve_rho(rho, meta, method, params) if mask_capable(pipeline) else None
    # Each protocol on its own: a crop the cache already applied is dropped only where it is that protocol's crop.
    protocol = protocol_for_cache(protocol, manifest)
    also_protocols = [protocol_for_cache(p, manifest) for p in also_protocols]
    for each in (protocol, *also_protocols):
        require_ground_truth(split, each)  # before the network runs: a LiDAR protocol needs the cache's full_gt
    images = _input_images(split, split_dir, input_array)
    clutter = _clutter_masks(split)
    kinds = split.array("clutter_kind") if split.has("clutter_kind") else None
    given_keep = None
    if uses_true_clutter_mask(method):
        if clutter is None:
            raise DataError(f"{split_dir}: method {method!r} needs the true clutter mask (a SynthRooms real split)")
        if not mask_capable(pipeline) and ORACLE_METHODS[base_method(method)] == SWEPT_ROW:
            raise DataError(f"method {method!r} needs a checkpoint with an attention module ({SWEPT_ROW}'s)")
        given_keep = true_clutter_keep(method, clutter, kinds, split_dir)

    scorer = Scorer(protocol)
    also_scorers = [Scorer(p) for p in also_protocols]
    mask_stats = MaskStats()
    with atomic_directory(out_dir) as tmp:
        (tmp / PRED_DIR).mkdir()
        for index, depth, keep, logits in run_pipeline(pipeline, images, max_depth, batch_size=batch_size,
                                                       device=device, given_keep=given_keep):
            name = names[index]
            np.save(tmp / PRED_DIR / f"{name}.npy", depth, allow_pickle=False)
            pred, gts = depth.astype(np.float32), {}
            for each in (scorer, *also_scorers):  # each protocol against its own ground truth (cached or full size)
                kind = each.protocol.ground_truth
                if kind not in gts:
                    gts[kind] = ground_truth_m(split, index, each.protocol)
                each.add(name, pred, gts[kind])
            if keep is not None:
                (tmp / MASK_DIR).mkdir(exist_ok=True)
                (tmp / MASK_DIR / f"{name}.png").write_bytes(encode_mask_png(keep))
                mask_stats.add(keep, None if clutter is None else np.asarray(clutter[index]) > 0,
                               kinds=None if kinds is None else np.asarray(kinds[index]), logits=logits)

        info = {
            "format": RESULTS_FORMAT,
            "method": method,
            "seed": int(seed),
            "rho": None if rho is None else float(rho),
            "benchmark": manifest.get("benchmark"),
            "dataset": manifest.get("dataset"),
            "split": manifest.get("split", split_dir.name),
            "protocol": protocol.name,
            "protocol_details": protocol.summary(),
            "n_images": len(names),
            "n_valid_images": scorer.n_valid_images,
            "test_frames": test_frames(manifest),
            "metrics": scorer.metrics(),
            "input_array": input_array,
            "checkpoint": None if checkpoint is None else str(checkpoint),
            "checkpoint_meta": {k: _jsonable(meta[k]) for k in _META_KEYS if k in meta},
        }
        if also_scorers:  # absent otherwise: metrics.json of a run without also-protocols is as before
            info["also_protocols"] = {s.protocol.name: also_protocol_block(s) for s in also_scorers}
        if mask_stats.pixels:
            info["keep_rate"] = mask_stats.keep_rate
            info["mask_iou"] = mask_stats.iou
            info.update(mask_stats.kind_summary())
        write_per_sample_csv(tmp / PER_SAMPLE_FILE, scorer.per_sample())
        for each in also_scorers:
            write_per_sample_csv(tmp / per_sample_file(each.protocol.name), each.per_sample())
        atomic_write_json(tmp / METRICS_FILE, info)
    return info


def _check_also_protocols(protocol: Protocol, also_protocols) -> None:
    names = [p.name for p in also_protocols]
    if protocol.name in names or len(set(names)) != len(names):
        # a repeated name would overwrite its own block and per-sample file
        raise ValueError(f"also-protocols {names} must differ from each other and from the primary {protocol.name!r}")


def test_frames(manifest: dict) -> dict:
    """How many frames of the split's list were scored, and why any were left out (e.g. the KITTI
    Eigen frames without annotated depth); recorded so that every report can say it."""
    selection = (manifest.get("source") or {}).get("selection") or {}
    count = int(manifest["count"])
    return {"evaluated": count, "listed": int(selection.get("listed", count)),
            "skipped": int(selection.get("skipped", 0)), "why": selection.get("why")}


def predict_checkpoint(
    checkpoint: str | Path,
    split_dir: str | Path,
    out_dir: str | Path,
    *,
    method: str,
    seed: int,
    protocol: Protocol,
    rho: float | None = None,
    batch_size: int = 16,
    device: str = "auto",
    input_array: str | None = None,
    params: dict | None = None,
    also_protocols: tuple[Protocol, ...] | list[Protocol] = (),
) -> dict:
    """Load ``checkpoint`` (arc.training.checkpoint.load_pipeline) and run ``predict_split``."""
    from arc.training.checkpoint import load_pipeline

    device = resolve_device(device)
    pipeline = load_pipeline(checkpoint, device)
    return predict_split(
        pipeline,
        split_dir,
        out_dir,
        method=method,
        seed=seed,
        protocol=protocol,
        rho=rho,
        batch_size=batch_size,
        device=device,
        input_array=input_array,
        checkpoint=checkpoint,
        params=params,
        also_protocols=also_protocols,
    )


def resolve_rho(rho: float | None, meta: dict, method: str, params: dict | None) -> float | None:
    if rho is not None:
        return float(rho)
    if meta.get("rho") is not None:
        return float(meta["rho"])
    return rho_for_method(method, params)


def rho_for_method(method: str, params: dict | None) -> float | None:
    """The sparsity a method was trained with, from the settings (the rho its branch of the DAG
    trained at), else params ``rho`` for rows whose modules include the attention net A, else None."""
    if params and params.get("rows") and params.get("rho_sweep") is not None:
        from arc.reports.methods import method_rhos

        planned = method_rhos(params).get(method)
        if planned is not None:
            return planned
    if params:
        row = (params.get("rows") or {}).get(method)
        if row and "A" in (row.get("modules") or []) and params.get("rho") is not None:
            return float(params["rho"])
    return None
