"""A benchmark = synthetic + real splits built from params.yaml: the workflow's two data stages.

``prepare_source`` makes what the cache is decoded from: the generated SynthRooms images, or
for the real datasets the seeded split lists (paper sampling) plus a ``source.json`` naming,
per split, the dataset reader and its root. ``build_benchmark_cache`` decodes every split once
into ``data/cache/<benchmark>/<split>/`` (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from arc.config import SYNTHROOMS_FAMILY, benchmark_size
from arc.errors import DataError
from arc.settings import setting
from arc.utils.atomic import atomic_directory, atomic_write_json

SPLITS = ("syn_train", "real_train", "real_val", "real_test")
SOURCE_FILE = "source.json"


def prepare_source(params: dict, out: str | os.PathLike) -> Path:
    bench = params["benchmark"]
    if bench in SYNTHROOMS_FAMILY:
        return _generate_synthrooms(params, Path(out))
    # The dataset folders are checked by plan_sources itself; the other checks of `arc config
    # validate` (VGG weights, disk) run in the workflow script before this (a data job needs no GPU,
    # so the device is checked where it is used: arc.training.device).
    plan = plan_sources(params)
    for line in plan.found:
        print(f"found: {line}")
    with atomic_directory(out) as tmp:
        splits = {}
        head = {"made by": "arc.data.benchmarks.prepare_source", "seed": params["seed"]}
        for split, spec in plan.splits.items():
            entry = {k: v for k, v in spec.items() if k not in ("entries", "skipped")}
            entry["list"] = _write_list(tmp, split, spec["entries"], {**head, "dataset": spec["dataset"]})
            if spec.get("skipped"):
                entry["skipped_list"] = _write_list(tmp, f"{split}_skipped", spec["skipped"],
                                                    {**head, "dataset": spec["dataset"], "why": spec["skip_reason"]})
                entry["skipped"] = len(spec["skipped"])
            splits[split] = entry
        atomic_write_json(tmp / SOURCE_FILE, {"benchmark": bench, "seed": params["seed"], "splits": splits,
                                              "found": plan.found})
    return Path(out)


def _generate_synthrooms(params: dict, out: Path) -> Path:
    from arc.data.synthrooms.generate import generate_benchmark

    family = SYNTHROOMS_FAMILY[params["benchmark"]]
    sizes = params["data"]["synthrooms"][family]
    counts = {split: sizes[f"n_{split}"] for split in SPLITS}
    meta = generate_benchmark(family, out, height=sizes["height"], width=sizes["width"], counts=counts,
                              seed=params["seed"], workers=min(2, os.cpu_count() or 1),
                              clutter_strength=setting(params, f"data.synthrooms.{family}.clutter_strength"),
                              clutter_looks=setting(params, f"data.synthrooms.{family}.clutter_looks"))
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


# --- the real benchmarks: what the preset points at, checked and sampled ---------------------------
@dataclass
class SourcePlan:
    """Per split: ``{"dataset", "root", reader options..., "entries": [...], "skipped": [...], "skip_reason"}``;
    ``found``: one line per configured source saying what is there."""

    splits: dict = field(default_factory=dict)
    found: list[str] = field(default_factory=list)


@contextmanager
def _about(key: str, value):
    """Prefix a DataError raised while reading one configured source with its params key."""
    try:
        yield
    except DataError as exc:
        raise DataError(f"params key '{key}' = '{value}': {exc}") from None


def plan_sources(params: dict) -> SourcePlan:
    """Open every configured folder of a real benchmark, check its layout and that it holds enough
    frames for the preset's sampling, and draw the seeded split lists (the paper's sampling).

    Fast failures come first: a missing folder or a wrong layout is reported before any long listing.
    """
    bench = params["benchmark"]
    if bench == "nyu-pbrs":
        return _plan_nyu_pbrs(params)
    if bench == "kitti-vkitti":
        return _plan_kitti_vkitti(params)
    raise DataError(f"benchmark {bench!r} is generated, not read from dataset folders")


def _count_scenes(dataset: str, entries: list[str]) -> int:
    from arc.data.sampling import scene_key

    return len({scene_key(dataset, e) for e in entries})


def _plan_nyu_pbrs(params: dict) -> SourcePlan:
    """Paper: 500 random NYU raw frames (no test scene), 5,000 random PBRS frames, official 654 test."""
    from arc.data.readers import open_reader, read_nyu_splits
    from arc.data.sampling import read_split_list, sample_split

    nyu, pbrs, seed = params["data"]["nyu"], params["data"]["pbrs"], params["seed"]
    plan = SourcePlan()
    with _about("data.nyu.raw_root", nyu["raw_root"]):
        raw = open_reader("nyu", nyu["raw_root"])
    with _about("data.pbrs.root", pbrs["root"]):
        syn_reader = open_reader("pbrs", pbrs["root"])
    with _about("data.nyu.splits_mat", nyu["splits_mat"]):
        official = read_nyu_splits(nyu["splits_mat"])
    with _about("data.nyu.labeled_mat", nyu["labeled_mat"]):
        labeled = open_reader("nyu-mat", nyu["labeled_mat"])
        try:
            height, width = labeled.depths.shape[2], labeled.depths.shape[1]  # stored transposed
            beyond = official["test"][official["test"] > labeled.count]
            if beyond.size:
                raise DataError(f"holds {labeled.count} frames but {nyu['splits_mat']} names test frame "
                                f"{int(beyond[0])}; expected the full 1,449-frame labelled set")
        finally:
            labeled.close()
    test = [str(i) for i in official["test"]]
    plan.found.append(f"data.nyu.labeled_mat: {labeled.count} labelled frames of {height}x{width}; "
                      f"data.nyu.splits_mat: {len(test)} official test frames (testNdxs), all evaluated")
    with _about("data.nyu.train_pool_list", nyu["train_pool_list"]):
        pool = read_split_list(nyu["train_pool_list"])
        train, val = sample_split(pool, dataset="nyu", n=nyu["n_train"], seed=seed, n_val=nyu["n_val"],
                                  val_scene_disjoint=True)
    with _about("data.nyu.raw_root", nyu["raw_root"]):
        _require_files(raw, train + val, "sampled NYU frames", "data.nyu.train_pool_list")
    plan.found.append(f"data.nyu.train_pool_list: {len(pool)} frames in {_count_scenes('nyu', pool)} scenes; "
                      f"sampled {len(train)} training + {len(val)} validation frames (validation from other scenes), "
                      f"all present under data.nyu.raw_root")
    with _about("data.pbrs.root", pbrs["root"]):
        syn_pool = syn_reader.require_entries()
        syn, _ = sample_split(syn_pool, dataset="pbrs", n=pbrs["n_train"], seed=seed)
    plan.found.append(f"data.pbrs.root: {len(syn_pool)} RGB+depth pairs in {_count_scenes('pbrs', syn_pool)} houses; "
                      f"sampled {len(syn)}")
    real = {"dataset": "nyu", "root": nyu["raw_root"]}
    plan.splits = {
        "syn_train": {"dataset": "pbrs", "root": pbrs["root"], "entries": syn},
        "real_train": {**real, "entries": train},
        "real_val": {**real, "entries": val},
        "real_test": {"dataset": "nyu-mat", "root": nyu["labeled_mat"], "entries": test},
    }
    return plan


def _require_files(reader, entries: list[str], what: str, list_key: str) -> None:
    """Every RGB and depth file the entries name exists (a list made for another download fails here)."""
    missing = []
    for entry in entries:
        rgb, depth = reader.parse_entry(entry).split()
        missing += [reader.root / rel for rel in (rgb, depth) if not (reader.root / rel).is_file()]
    if missing:
        raise DataError(f"{len(missing)} file(s) of the {len(entries)} {what} are missing (first: {missing[0]}); "
                        f"expected every frame '{list_key}' names, in the layout {reader.layout}")


KITTI_NO_GT = ("no annotated depth (proj_depth/groundtruth) in the KITTI depth benchmark; the standard "
               "download lacks it for 45 of the 697 Eigen test frames, and the common practice is to evaluate "
               "the 652 that have it")


def _plan_kitti_vkitti(params: dict) -> SourcePlan:
    """Paper: the first 1,000 left-camera KITTI frames (no Eigen-test drive), all five vKITTI variants, and
    the Eigen test frames: all 697 with ``data.kitti.lidar_gt`` (ground truth from their raw LiDAR), else
    those that have annotated depth (652 of 697 in the standard download)."""
    from arc.data.readers import open_reader
    from arc.data.sampling import read_split_list, sample_split

    kitti, vkitti, seed = params["data"]["kitti"], params["data"]["vkitti"], params["seed"]
    plan = SourcePlan()
    depth_root = kitti.get("depth_root")
    with _about("data.kitti.root", kitti["root"]):
        reader = open_reader("kitti", kitti["root"], depth_root=depth_root)
    with _about("data.vkitti.root", vkitti["root"]):
        syn_reader = open_reader("vkitti", vkitti["root"], variants=vkitti["variants"],
                                 vkitti_version=vkitti["version"])
    with _about("data.kitti.root", kitti["root"]):
        pool = reader.require_entries()  # an empty or wrongly laid-out folder is named here, first
    with _about("data.kitti.test_list", kitti["test_list"]):
        listed = [reader.parse_entry(line) for line in read_split_list(kitti["test_list"])]
    no_rgb = [e for e in listed if not reader.rgb_path(e).is_file()]
    if no_rgb:
        raise DataError(f"params key 'data.kitti.root' = '{kitti['root']}': {len(no_rgb)} of the {len(listed)} test "
                        f"frames of '{kitti['test_list']}' have no raw RGB (first: {reader.rgb_path(no_rgb[0])}); "
                        f"expected {reader.layout}")
    annotated = [e for e in listed if reader.has_annotated_depth(e)]
    if setting(params, "data.kitti.lidar_gt"):
        # Every listed frame: its ground truth is its own LiDAR scan (the annotated map, where there is
        # one, stays for the kitti-standard also-protocol).
        _require_lidar(kitti["root"], listed, kitti["test_list"])
        test, skipped = listed, []
        plan.found.append(f"data.kitti.test_list: {len(listed)} frames, all evaluated against their raw LiDAR "
                          f"(velodyne_points + calibration, all present); {len(annotated)} also have annotated depth")
    else:
        test = annotated
        evaluated = set(test)
        skipped = [e for e in listed if e not in evaluated]
        if not test:
            raise DataError(f"params key 'data.kitti.root' = '{kitti['root']}': none of the {len(listed)} test frames "
                            f"of '{kitti['test_list']}' has annotated depth; expected {reader.layout}")
        plan.found.append(f"data.kitti.test_list: {len(listed)} frames; {len(test)} with annotated depth are evaluated"
                          + (f", {len(skipped)} skipped: {KITTI_NO_GT.split(';')[0]}" if skipped else ""))
    with _about("data.kitti.root", kitti["root"]):
        train, val = sample_split(pool, dataset="kitti", n=kitti["n_train"], seed=seed, mode="first",
                                  exclude_scenes=listed, n_val=kitti["n_val"], val_scene_disjoint=True)
    plan.found.append(f"data.kitti.root: {len(pool)} frames with annotated depth in {_count_scenes('kitti', pool)} "
                      f"drives (annotated depth under {reader.depth_root}); the first {len(train)} outside the "
                      f"{_count_scenes('kitti', listed)} test drives are the training set, {len(val)} validation "
                      "frames come from other drives")
    with _about("data.vkitti.root", vkitti["root"]):
        syn = syn_reader.require_entries()
        per_variant = {v: sum(1 for e in syn if e.split("/")[1] == v) for v in vkitti["variants"]}
        absent = [v for v, n in per_variant.items() if not n]
        if absent:
            raise DataError(f"no frame of variant(s) {', '.join(absent)}; expected every variant of "
                            f"data.vkitti.variants in the layout {syn_reader.layout}; found: {syn_reader.survey()}")
    plan.found.append(f"data.vkitti.root: Virtual KITTI {syn_reader.version}, {len(syn)} frames: "
                      + ", ".join(f"{v} {n}" for v, n in per_variant.items()))
    real = {"dataset": "kitti", "root": kitti["root"], "depth_root": str(reader.depth_root)}
    plan.splits = {
        "syn_train": {"dataset": "vkitti", "root": vkitti["root"], "variants": vkitti["variants"],
                      "vkitti_version": syn_reader.version, "entries": syn},
        "real_train": {**real, "entries": train},
        "real_val": {**real, "entries": val},
        "real_test": {**real, "entries": test, "listed": len(listed), "skipped": skipped, "skip_reason": KITTI_NO_GT,
                      **({"lidar_gt": True} if setting(params, "data.kitti.lidar_gt") else {})},
    }
    return plan


def _require_lidar(root: str, entries: list[str], list_path: str) -> None:
    """The Velodyne scan and the two calibration files of every test frame exist."""
    from arc.data.readers.kitti_lidar import missing_lidar_files

    missing = missing_lidar_files(root, [tuple(e.split()[:2]) for e in entries])
    if missing:
        raise DataError(f"params key 'data.kitti.lidar_gt' = true: {len(missing)} raw LiDAR file(s) of the "
                        f"{len(entries)} test frames of '{list_path}' are missing (first: {missing[0]}); expected the "
                        f"raw download's <date>/<drive>/velodyne_points/data/<frame>.bin and <date>/calib_cam_to_cam.txt, "
                        f"<date>/calib_velo_to_cam.txt under data.kitti.root = '{root}'")


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
                                     vkitti_version=spec.get("vkitti_version"), selection=_selection(spec, source),
                                     lidar_gt=bool(spec.get("lidar_gt")))
            print(f"{split}: {len(cached)} samples cached at {height}x{width}")
            selection = cached.manifest["source"].get("selection")
            if selection:
                print(f"{split}: {selection['listed']} listed, {selection['skipped']} skipped: {selection['why']}")
    return Path(out)


def _selection(spec: dict, source: Path) -> dict | None:
    """How a split's frames were chosen from a fixed list, when some were left out (KITTI Eigen test)."""
    if not spec.get("skipped"):
        return None
    return {"listed": spec["listed"], "evaluated": spec["listed"] - spec["skipped"], "skipped": spec["skipped"],
            "why": spec["skip_reason"], "skipped_list": str(source / spec["skipped_list"])}


def _split_source(source: Path, split: str) -> dict:
    import json

    path = source / SOURCE_FILE
    if not path.is_file():
        raise DataError(f"{path}: not found; expected the output of the prepare_source stage")
    splits = json.loads(path.read_text()).get("splits", {})
    if split not in splits:
        raise DataError(f"{path}: no entry for split '{split}'; expected {', '.join(SPLITS)}")
    return splits[split]


__all__ = ["prepare_source", "plan_sources", "build_benchmark_cache", "SPLITS"]
