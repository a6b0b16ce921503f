"""Write a SynthRooms benchmark directory (the layout of ``arc data generate``).

    DIR/meta.json
    DIR/<split>/rgb/<name>.png           uint8 RGB
    DIR/<split>/depth/<name>.png         uint16; indoor millimetres, outdoor metres * 256 (KITTI); 0 = invalid
    DIR/<real split>/clutter_mask/<name>.png   uint8, 255 = clutter (evaluation only)
    DIR/<real split>/clean_rgb/<name>.png      clutter-free twin (evaluation only)
    DIR/<real split>/clean_depth/<name>.png    its depth, same sensor artefacts (evaluation only)
    DIR/<real split>/clutter_kind/<name>.png   uint8 clutter kind code (clutter.CLUTTER_KINDS; 0 = none; evaluation only)

Every image has its own seed, ``derive_seed(split_seed, index)`` with
``split_seed = derive_seed(seed, "synthrooms", family, split)``: changing one
split's count never changes another split, and a larger count only appends.
The directory is written to a temporary sibling and renamed when complete.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import cv2
import numpy as np

from arc.data.preprocess import DEPTH_SCALE, FAMILY_MAX_DEPTH, depth_to_uint16
from arc.data.synthrooms.clutter import DEFAULT_CLUTTER_LOOKS, DEFAULT_CLUTTER_STRENGTH, ClutterDial
from arc.data.synthrooms.sample import render_sample
from arc.data.synthrooms.scenes import INDOOR_HFOV_DEG, OUTDOOR_HFOV_DEG
from arc.errors import DataError
from arc.utils.atomic import atomic_directory, atomic_write_json
from arc.utils.seeding import derive_seed

FORMAT = "synthrooms/1"
FAMILIES = ("indoor", "outdoor")
SPLIT_DOMAINS = {"syn_train": "synthetic", "real_train": "real", "real_val": "real", "real_test": "real"}
EVAL_ONLY_FOLDERS = ("clutter_mask", "clean_rgb", "clean_depth", "clutter_kind")
DEPTH_UNIT = {"indoor": "millimetres (NYU/PBRS)", "outdoor": "metres * 256 (KITTI)"}


def split_seed(seed: int, family: str, split: str) -> int:
    return derive_seed(seed, "synthrooms", family, split)


def sample_name(index: int) -> str:
    return f"{index:05d}"


def encode_depth(depth_m: np.ndarray, family: str) -> np.ndarray:
    return depth_to_uint16(depth_m, DEPTH_SCALE[family])


def _write_png(path: Path, image: np.ndarray) -> None:
    if image.ndim == 3:
        image = image[:, :, ::-1]  # OpenCV writes BGR
    if not cv2.imwrite(str(path), image):
        raise DataError(f"could not write {path}: OpenCV refused the PNG (disk full or path not writable?)")


def _render_and_write(job) -> dict:
    """Worker: render one sample and write its PNGs; returns its statistics."""
    family, split, index, seed, height, width, split_dir, clutter_strength, clutter_looks = job
    domain = SPLIT_DOMAINS[split]
    sample = render_sample(family, domain, derive_seed(seed, index), height, width, clutter_strength, clutter_looks)
    name = sample_name(index)
    split_dir = Path(split_dir)
    _write_png(split_dir / "rgb" / f"{name}.png", sample.rgb)
    _write_png(split_dir / "depth" / f"{name}.png", encode_depth(sample.depth, family))
    if domain == "real":
        _write_png(split_dir / "clutter_mask" / f"{name}.png", sample.clutter_mask * 255)
        _write_png(split_dir / "clean_rgb" / f"{name}.png", sample.clean_rgb)
        _write_png(split_dir / "clean_depth" / f"{name}.png", encode_depth(sample.clean_depth, family))
        _write_png(split_dir / "clutter_kind" / f"{name}.png", sample.clutter_kind)
    return {"valid": sample.info["valid_fraction"], "clutter": sample.info.get("clutter_fraction", 0.0)}


def _summary(values: list[float]) -> dict:
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return {}
    return {"mean": round(float(a.mean()), 4), "min": round(float(a.min()), 4), "max": round(float(a.max()), 4)}


def generate_benchmark(family: str, out: str | os.PathLike, *, height: int, width: int, counts: dict[str, int],
                       seed: int, workers: int = 1, clutter_strength: float = DEFAULT_CLUTTER_STRENGTH,
                       clutter_looks: int = DEFAULT_CLUTTER_LOOKS) -> dict:
    """Render all splits of one family into ``out``; returns the meta dict (also written as meta.json).

    ``clutter_strength``, ``clutter_looks``: the premise-strength dial (clutter.ClutterDial); each is
    recorded in meta.json only when it is not the default, so a default benchmark's files are as before the dial."""
    if family not in FAMILIES:
        raise DataError(f"unknown SynthRooms family {family!r}; expected one of {', '.join(FAMILIES)}")
    unknown = set(counts) - set(SPLIT_DOMAINS)
    if unknown:
        raise DataError(f"unknown split(s) {sorted(unknown)}; expected {', '.join(SPLIT_DOMAINS)}")
    for name, value in (("height", height), ("width", width)):
        if value < 8:
            raise DataError(f"--{name} {value} is too small; expected at least 8 pixels")
    for split, n in counts.items():
        if n < 0:
            raise DataError(f"count for split {split} is {n}; expected a non-negative number")
    try:  # the dial checks its own settings (clutter_strength >= 0 and finite, clutter_looks 1-4)
        ClutterDial(clutter_strength, clutter_looks)
    except ValueError as exc:
        raise DataError(str(exc)) from None

    meta = {
        "format": FORMAT, "family": family, "height": height, "width": width, "seed": seed,
        "max_depth": FAMILY_MAX_DEPTH[family], "depth_scale": DEPTH_SCALE[family], "depth_unit": DEPTH_UNIT[family],
        "hfov_deg": INDOOR_HFOV_DEG if family == "indoor" else OUTDOOR_HFOV_DEG,
        "eval_only": list(EVAL_ONLY_FOLDERS), "splits": {},
    }
    if clutter_strength != DEFAULT_CLUTTER_STRENGTH:
        meta["clutter_strength"] = float(clutter_strength)
    if clutter_looks != DEFAULT_CLUTTER_LOOKS:
        meta["clutter_looks"] = int(clutter_looks)
    with atomic_directory(out) as tmp:
        jobs = []
        for split, n in counts.items():
            s_seed = split_seed(seed, family, split)
            split_dir = tmp / split
            folders = ("rgb", "depth") + (EVAL_ONLY_FOLDERS if SPLIT_DOMAINS[split] == "real" else ())
            for folder in folders:
                (split_dir / folder).mkdir(parents=True)
            meta["splits"][split] = {"domain": SPLIT_DOMAINS[split], "count": n, "seed": s_seed}
            jobs += [(family, split, i, s_seed, height, width, str(split_dir), clutter_strength, clutter_looks)
                     for i in range(n)]
        if workers > 1 and len(jobs) > 1:
            ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
            with ctx.Pool(workers) as pool:
                stats = pool.map(_render_and_write, jobs, chunksize=max(1, len(jobs) // (8 * workers)))
        else:
            stats = [_render_and_write(job) for job in jobs]
        offset = 0
        for split, n in counts.items():
            chunk = stats[offset:offset + n]
            offset += n
            meta["splits"][split]["valid_fraction"] = _summary([s["valid"] for s in chunk])
            if SPLIT_DOMAINS[split] == "real":
                meta["splits"][split]["clutter_fraction"] = _summary([s["clutter"] for s in chunk])
        atomic_write_json(tmp / "meta.json", meta)
    return meta


def read_meta(root: str | os.PathLike) -> dict:
    path = Path(root) / "meta.json"
    if not path.is_file():
        raise DataError(f"{path}: not found; expected a SynthRooms directory written by `arc data generate`")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if meta.get("format") != FORMAT:
        raise DataError(f"{path}: format {meta.get('format')!r}; expected {FORMAT!r}")
    return meta
