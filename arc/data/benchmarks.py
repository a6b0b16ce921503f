"""A benchmark = synthetic + real splits built from params.yaml: the workflow's two data stages.

``prepare_source`` makes what the cache is decoded from: the generated SynthRooms images, or
for the real datasets the seeded split lists (paper sampling) plus a ``source.json`` naming,
per split, the dataset reader and its root. ``build_benchmark_cache`` decodes every split once
into ``data/cache/<benchmark>/<split>/`` (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from arc.config import SYNTHROOMS_FAMILY, benchmark_size
from arc.errors import DataError
from arc.utils.atomic import atomic_directory, atomic_write_json

SPLITS = ("syn_train", "real_train", "real_val", "real_test")
SOURCE_FILE = "source.json"


def prepare_source(params: dict, out: str | os.PathLike) -> Path:
    bench = params["benchmark"]
    if bench in SYNTHROOMS_FAMILY:
        return _generate_synthrooms(params, Path(out))
    with atomic_directory(out) as tmp:
        splits = _sample_nyu_pbrs(params, tmp) if bench == "nyu-pbrs" else _sample_kitti_vkitti(params, tmp)
        atomic_write_json(tmp / SOURCE_FILE, {"benchmark": bench, "seed": params["seed"], "splits": splits})
    return Path(out)


def _generate_synthrooms(params: dict, out: Path) -> Path:
    from arc.data.synthrooms.generate import generate_benchmark

    family = SYNTHROOMS_FAMILY[params["benchmark"]]
    sizes = params["data"]["synthrooms"][family]
    counts = {split: sizes[f"n_{split}"] for split in SPLITS}
    meta = generate_benchmark(family, out, height=sizes["height"], width=sizes["width"], counts=counts,
                              seed=params["seed"], workers=min(2, os.cpu_count() or 1))
    for split, info in meta["splits"].items():
        clutter = info.get("clutter_fraction", {}).get("mean")
        print(f"{split}: {info['count']} images, valid depth {info['valid_fraction'].get('mean')}"
              + (f", clutter {clutter}" if clutter is not None else ""))
    return out


def _write_list(folder: Path, split: str, entries: list[str], header: dict) -> str:
    from arc.data.sampling import write_split_list

    path = folder / f"{split}.txt"
    write_split_list(path, entries, {**header, "part": split, "count": len(entries)})
    print(f"{split}: {len(entries)} entries ({header['dataset']})")
    return path.name


def _sample_nyu_pbrs(params: dict, folder: Path) -> dict:
    """Paper: 500 random NYU raw frames (no test scene), 5,000 random PBRS frames, official 654 test."""
    from arc.data.readers import open_reader, read_nyu_splits
    from arc.data.sampling import read_split_list, sample_split

    nyu, pbrs, seed = params["data"]["nyu"], params["data"]["pbrs"], params["seed"]
    pool = read_split_list(nyu["train_pool_list"])
    train, val = sample_split(pool, dataset="nyu", n=nyu["n_train"], seed=seed, n_val=nyu["n_val"],
                              val_scene_disjoint=True)
    test = [str(i) for i in read_nyu_splits(nyu["splits_mat"])["test"]]
    syn_pool = open_reader("pbrs", pbrs["root"]).entries()
    syn, _ = sample_split(syn_pool, dataset="pbrs", n=pbrs["n_train"], seed=seed)
    head = {"made by": "arc.data.benchmarks.prepare_source", "seed": seed}
    return {
        "syn_train": {"dataset": "pbrs", "root": pbrs["root"],
                      "list": _write_list(folder, "syn_train", syn, {**head, "dataset": "pbrs"})},
        "real_train": {"dataset": "nyu", "root": nyu["raw_root"],
                       "list": _write_list(folder, "real_train", train, {**head, "dataset": "nyu"})},
        "real_val": {"dataset": "nyu", "root": nyu["raw_root"],
                     "list": _write_list(folder, "real_val", val, {**head, "dataset": "nyu"})},
        "real_test": {"dataset": "nyu-mat", "root": nyu["labeled_mat"],
                      "list": _write_list(folder, "real_test", test, {**head, "dataset": "nyu-mat"})},
    }


def _sample_kitti_vkitti(params: dict, folder: Path) -> dict:
    """Paper: the first 1,000 KITTI frames (no Eigen-test drive), all five vKITTI variants, Eigen 697 test."""
    from arc.data.readers import open_reader
    from arc.data.sampling import read_split_list, sample_split

    kitti, vkitti, seed = params["data"]["kitti"], params["data"]["vkitti"], params["seed"]
    depth_root = kitti.get("depth_root")
    test = read_split_list(kitti["test_list"])
    pool = open_reader("kitti", kitti["root"], depth_root=depth_root).entries()
    train, val = sample_split(pool, dataset="kitti", n=kitti["n_train"], seed=seed, mode="first",
                              exclude_scenes=test, n_val=kitti["n_val"], val_scene_disjoint=True)
    syn = open_reader("vkitti", vkitti["root"], variants=vkitti["variants"], vkitti_version=vkitti["version"]).entries()
    head = {"made by": "arc.data.benchmarks.prepare_source", "seed": seed}
    real = {"dataset": "kitti", "root": kitti["root"], "depth_root": depth_root}
    return {
        "syn_train": {"dataset": "vkitti", "root": vkitti["root"], "variants": vkitti["variants"],
                      "vkitti_version": vkitti["version"],
                      "list": _write_list(folder, "syn_train", syn, {**head, "dataset": "vkitti"})},
        "real_train": {**real, "list": _write_list(folder, "real_train", train, {**head, "dataset": "kitti"})},
        "real_val": {**real, "list": _write_list(folder, "real_val", val, {**head, "dataset": "kitti"})},
        "real_test": {**real, "list": _write_list(folder, "real_test", test, {**head, "dataset": "kitti"})},
    }


def build_benchmark_cache(params: dict, source: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Decode every split of the prepared source into one cache folder (replaced atomically)."""
    from arc.data.cache import build_cache

    source, bench = Path(source), params["benchmark"]
    height, width = benchmark_size(params)
    with atomic_directory(out) as tmp:
        for split in SPLITS:
            if bench in SYNTHROOMS_FAMILY:
                cached = build_cache("synthrooms", source, tmp / split, height=height, width=width, split=split,
                                     benchmark=bench)
            else:
                spec = _split_source(source, split)
                cached = build_cache(spec["dataset"], spec["root"], tmp / split, height=height, width=width,
                                     list_path=source / spec["list"], split=split, benchmark=bench,
                                     depth_root=spec.get("depth_root"), variants=spec.get("variants"),
                                     vkitti_version=spec.get("vkitti_version"))
            print(f"{split}: {len(cached)} samples cached at {height}x{width}")
    return Path(out)


def _split_source(source: Path, split: str) -> dict:
    import json

    path = source / SOURCE_FILE
    if not path.is_file():
        raise DataError(f"{path}: not found; expected the output of the prepare_source stage")
    splits = json.loads(path.read_text()).get("splits", {})
    if split not in splits:
        raise DataError(f"{path}: no entry for split '{split}'; expected {', '.join(SPLITS)}")
    return splits[split]


__all__ = ["prepare_source", "build_benchmark_cache", "SPLITS"]
