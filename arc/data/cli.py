"""``arc data generate|inspect|sample|cache``: thin argument parsing around arc.data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from arc.errors import ConfigError, DataError

DATASETS = ("nyu", "nyu-mat", "pbrs", "kitti", "vkitti", "synthrooms")
COUNT_KEYS = ("n_syn_train", "n_real_train", "n_real_val", "n_real_test")
PATH_HELP = """\
PATH semantics per dataset (several PATHs may be given):
  nyu         a raw/sync root (<scene>/rgb_N.jpg + sync_depth_N.png, or rgb/ + depth/), or one rgb_N / sync_depth_N file
  nyu-mat     nyu_depth_v2_labeled.mat (every frame, up to --limit)
  pbrs        a root with mlt_v2/ and depth_v2/, or one <cam>_mlt.png / <cam>_depth.png
  kitti       a KITTI raw root (with --depth-root) or rgb/ + depth/ folder, or one image_02/data/<frame>.png;
              a lone annotated depth PNG is inspected as depth only
  vkitti      a vKITTI 1.3.1 or 2 root, or one RGB/depth file inside one
  synthrooms  an `arc data generate` directory (all splits), one split folder, or one file in <split>/rgb or depth
"""


def _load_params(params_path: str) -> dict:
    """The settings ({} when the file does not exist: every option is then explicit), read as every
    command reads them (``arc.config.read_settings``)."""
    from arc.config import read_settings

    path = Path(params_path)
    if not path.exists():
        return {}
    return read_settings(path)


# --- generate ---------------------------------------------------------------------------------
def cmd_generate(args) -> int:
    from arc.data.synthrooms import generate_benchmark

    params = _load_params(args.params)
    defaults = ((params.get("data") or {}).get("synthrooms") or {}).get(args.family) or {}
    seed = args.seed if args.seed is not None else int(params.get("seed", 0))
    values = {}
    for key in ("height", "width", *COUNT_KEYS):
        value = getattr(args, key)
        if value is None:
            value = defaults.get(key)
        if value is None:
            raise ConfigError(
                f"--{key.replace('_', '-')} not given and {args.params} has no data.synthrooms.{args.family}.{key}"
            )
        values[key] = int(value)
    counts = {k.removeprefix("n_"): values[k] for k in COUNT_KEYS}
    meta = generate_benchmark(args.family, args.out, height=values["height"], width=values["width"],
                              counts=counts, seed=seed, workers=args.workers)
    for split, info in meta["splits"].items():
        extra = f", clutter {info['clutter_fraction']['mean']:.3f}" if "clutter_fraction" in info else ""
        print(f"{args.out}/{split}: {info['count']} images, valid depth {info['valid_fraction'].get('mean', 0):.3f}{extra}")
    return 0


# --- inspect ----------------------------------------------------------------------------------
def _depth_stats(depth: np.ndarray, far: np.ndarray | None = None) -> dict:
    """Valid fraction and min/median/max metres over real depths; ``far`` marks a far code
    (vKITTI's 65535), which is counted apart and is not a distance."""
    real = depth > 0 if far is None else (depth > 0) & ~far
    valid = depth[real]
    stats = {"valid_fraction": round(float(valid.size / depth.size), 4)}
    if far is not None:
        stats["far_fraction"] = round(float(far.mean()), 4)
    for key, fn in (("min_m", np.min), ("median_m", np.median), ("max_m", np.max)):
        stats[key] = round(float(fn(valid)), 3) if valid.size else None
    return stats


def _far_mask(dataset: str, depth: np.ndarray) -> np.ndarray | None:
    if dataset != "vkitti":
        return None
    from arc.data.readers.vkitti import far_code_mask

    return far_code_mask(depth)


def _depth_decoder(dataset: str):
    """The dataset's depth-PNG decoder, for a lone depth file whose RGB partner cannot be found."""
    from arc.data.readers.kitti import kitti_depth_from_png
    from arc.data.readers.nyu import nyu_depth_from_png
    from arc.data.readers.pbrs import pbrs_depth_from_png
    from arc.data.readers.vkitti import vkitti_depth_from_png

    decoders = {"nyu": nyu_depth_from_png, "pbrs": pbrs_depth_from_png, "kitti": kitti_depth_from_png,
                "vkitti": vkitti_depth_from_png}
    return decoders.get(dataset)


def unpaired_rgb(reader) -> list[str]:
    """RGB files in a dataset folder that the reader leaves out because their depth map is missing.

    (KITTI's raw drives are not listed: the annotated depth omits the first and last frames of every
    drive by design, so a raw frame without depth is the rule there, not a slip.)
    """
    root = Path(reader.root)
    if reader.dataset == "nyu":
        found = []
        for rgb in sorted(root.rglob("rgb_*")):
            rel = rgb.relative_to(root).as_posix()
            try:
                depth = reader.parse_entry(rel).split()[1]
            except DataError:
                continue  # not an rgb_NNNNN frame
            if not (root / depth).is_file():
                found.append(rel)
        return found
    if reader.dataset == "kitti" and getattr(reader, "paired", False):
        return [f"rgb/{p.name}" for p in sorted((root / "rgb").glob("*.png")) if not (root / "depth" / p.name).is_file()]
    if reader.dataset == "pbrs":
        return [p.relative_to(root).as_posix() for p in sorted((root / "mlt_v2").glob("*/*_mlt.png"))
                if not (root / "depth_v2" / p.parent.name / p.name.replace("_mlt.png", "_depth.png")).is_file()]
    return []


def warn_unpaired(reader) -> None:
    """Name (on stderr) the RGB files a dataset folder holds without depth: they are left out, not lost silently."""
    unpaired = unpaired_rgb(reader)
    if unpaired:
        shown = ", ".join(unpaired[:5]) + (f" (and {len(unpaired) - 5} more)" if len(unpaired) > 5 else "")
        print(f"warning: {reader.root}: {len(unpaired)} RGB file(s) have no depth map and are left out: {shown}",
              file=sys.stderr)


def inspect_paths(dataset: str, paths: list[str], limit: int | None = None, **reader_options) -> list[dict]:
    from arc.data.readers import locate, open_reader

    rows = []
    for raw in paths:
        path = Path(raw)
        try:
            reader, entries = locate(dataset, path)
            if reader_options and entries is None:
                reader = open_reader(dataset, path, **reader_options)
        except DataError:
            decoder = _depth_decoder(dataset) if path.is_file() else None
            if decoder is None:
                raise
            depth = decoder(path)
            rows.append({"path": str(path), "name": path.stem, "rgb_shape": None, "depth_shape": list(depth.shape),
                         **_depth_stats(depth, _far_mask(dataset, depth))})
            continue
        if entries is None:
            entries = reader.require_entries()
            warn_unpaired(reader)
        for entry in entries[:limit] if limit else entries:
            record = reader.read(entry)
            rows.append({"path": str(path), "name": record.name, "rgb_shape": list(record.rgb.shape),
                         "depth_shape": list(record.depth.shape),
                         **_depth_stats(record.depth, _far_mask(dataset, record.depth))})
        if hasattr(reader, "close"):
            reader.close()
    return rows


def cmd_inspect(args) -> int:
    options = {k: v for k, v in (("depth_root", args.depth_root), ("vkitti_version", args.vkitti_version),
                                 ("variants", _variants(args.variants))) if v}
    rows = inspect_paths(args.dataset, args.paths, limit=args.limit, **options)
    note = None
    if args.dataset == "vkitti":
        from arc.data.readers.vkitti import FAR_CODE_NOTE as note
    if args.json:
        print(json.dumps({"dataset": args.dataset, "samples": rows, **({"note": note} if note else {})}, indent=2))
        return 0
    far = " far" if args.dataset == "vkitti" else ""
    print(f"{'name':40s} {'shape':>11s} {'valid':>6s}{'   far' if far else ''} {'min':>7s} {'median':>7s} {'max':>7s}"
          "  (metres, over real depths)")
    for r in rows:
        shape = "x".join(map(str, r["depth_shape"]))
        fmt = lambda v: f"{v:7.3f}" if v is not None else "      -"  # noqa: E731
        far_cell = f" {r['far_fraction']:5.3f}" if far else ""
        print(f"{r['name'][:40]:40s} {shape:>11s} {r['valid_fraction']:6.3f}{far_cell} {fmt(r['min_m'])} "
              f"{fmt(r['median_m'])} {fmt(r['max_m'])}")
    if note:
        print(f"note: {note}")
    return 0


def _variants(text: str | None):
    return [v for v in text.split(",") if v] if text else None


# --- sample -----------------------------------------------------------------------------------
def cmd_sample(args) -> int:
    from arc.data.readers import open_reader, read_nyu_splits
    from arc.data.sampling import DEFAULT_MODE, check_indices_in_range, read_split_list, sample_split, write_split_list

    if args.pool is None and args.root is None and args.splits_mat is None:
        raise DataError("give the pool: --pool LIST, --root DATASET_ROOT, or (nyu-mat) --splits-mat splits.mat")
    exclude = [e for path in args.exclude for e in read_split_list(path)]
    excluded_from = list(args.exclude) + list(args.exclude_scenes_of)
    count = None
    if args.pool is not None:
        pool = read_split_list(args.pool)
    elif args.dataset == "nyu-mat" and args.splits_mat is not None:
        splits = read_nyu_splits(args.splits_mat)
        pool = [str(i) for i in splits["train"]]
        exclude += [str(i) for i in splits["test"]]
        excluded_from.append(f"testNdxs of {args.splits_mat}")
    else:
        reader = open_reader(args.dataset, args.root, variants=_variants(args.variants),
                             depth_root=args.depth_root, vkitti_version=args.vkitti_version)
        pool = reader.require_entries()
        warn_unpaired(reader)
        count = getattr(reader, "count", None)
    if args.dataset == "nyu-mat":
        if count is None and args.root is not None:
            count = open_reader("nyu-mat", args.root).count
        check_indices_in_range("nyu-mat", pool + exclude, count or 1449, args.pool or args.splits_mat or args.root)
    if args.variants and args.dataset == "vkitti" and args.pool is not None:
        keep = set(_variants(args.variants))
        pool = [e for e in pool if e.strip("/").split("/")[1] in keep]
    exclude_scenes = [e for path in args.exclude_scenes_of for e in read_split_list(path)]
    mode = args.mode or DEFAULT_MODE.get(args.dataset, "random")
    train, val = sample_split(pool, dataset=args.dataset, n=args.n, seed=args.seed, mode=mode, exclude=exclude,
                              exclude_scenes=exclude_scenes, n_val=args.n_val if args.val_out else 0,
                              val_scene_disjoint=args.val_scene_disjoint)
    header = {"made by": "arc data sample", "dataset": args.dataset, "mode": mode, "seed": args.seed,
              "pool": args.pool or args.splits_mat or args.root, "pool size": len(pool),
              "excluded": ", ".join(excluded_from) or "none"}
    write_split_list(args.out, train, {**header, "part": "train", "count": len(train)})
    print(f"{args.out}: {len(train)} entries")
    if args.val_out:
        write_split_list(args.val_out, val, {**header, "part": "validation (disjoint from train"
                                        + (", no scene shared with it)" if args.val_scene_disjoint else ")"),
                                        "count": len(val)})
        print(f"{args.val_out}: {len(val)} entries")
    return 0


# --- cache ------------------------------------------------------------------------------------
def cmd_cache(args) -> int:
    from arc.data.cache import build_cache
    from arc.data.readers import open_reader

    if args.list is None and args.dataset in ("nyu", "kitti", "pbrs"):  # the whole folder: name what it leaves out
        reader = open_reader(args.dataset, args.root, depth_root=args.depth_root)
        warn_unpaired(reader)
    split = build_cache(args.dataset, args.root, args.out, height=args.height, width=args.width,
                        list_path=args.list, split=args.split, benchmark=args.benchmark, depth_root=args.depth_root,
                        variants=_variants(args.variants), vkitti_version=args.vkitti_version)
    m = split.manifest
    print(f"{args.out}: {m['count']} samples {m['height']}x{m['width']} ({m['benchmark']} / {m['split']}, "
          f"{m['domain']}), arrays {', '.join(m['arrays'])}")
    return 0


# --- registration -----------------------------------------------------------------------------
def _reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--depth-root", help="kitti: folder with the annotated depth ({train,val}/<drive>/proj_depth/...)")
    p.add_argument("--variants", help="vkitti: comma-separated variants (default all)")
    p.add_argument("--vkitti-version", choices=("1.3.1", "2"), help="vkitti: layout version (default: detect)")


def cmd_export_gt(args) -> int:
    from arc.data.export_gt import export_ground_truth
    from arc.data.sampling import read_split_list

    names = export_ground_truth(args.dataset, args.root, read_split_list(args.list), args.out, args.scale)
    print(f"{args.out}: {len(names)} ground-truth PNGs (uint16, {args.scale} m per unit, 0 = invalid), "
          f"{names[0]} ... {names[-1]}; evaluate with --gt {args.out} --gt-scale {args.scale}")
    return 0


def register(subparsers) -> None:
    data = subparsers.add_parser("data", help="generate SynthRooms, inspect/sample/cache datasets")
    sub = data.add_subparsers(dest="data_command", required=True)

    g = sub.add_parser("generate", help="write the SynthRooms benchmark of one family",
                       description="Missing sizes/counts default to params.yaml data.synthrooms.<family>, the seed to its seed.")
    g.add_argument("--family", required=True, choices=("indoor", "outdoor"))
    g.add_argument("--out", required=True, help="output directory (replaced atomically)")
    g.add_argument("--height", type=int)
    g.add_argument("--width", type=int)
    for key in COUNT_KEYS:
        g.add_argument(f"--{key.replace('_', '-')}", dest=key, type=int)
    g.add_argument("--seed", type=int, help="default: params.yaml seed (0 without params)")
    g.add_argument("--workers", type=int, default=1, help="processes (output does not depend on it)")
    g.add_argument("--params", default="params.yaml", help="defaults for sizes and counts")
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser("inspect", help="per-sample shape, valid-depth fraction and depth range in metres",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog=PATH_HELP)
    i.add_argument("--dataset", required=True, choices=DATASETS)
    i.add_argument("paths", nargs="+", metavar="PATH")
    i.add_argument("--json", action="store_true", help="print JSON instead of a table")
    i.add_argument("--limit", type=int, help="at most this many samples per PATH")
    _reader_options(i)
    i.set_defaults(func=cmd_inspect)

    from arc.data import export_gt

    e = sub.add_parser("export-gt", help="write a split list's ground truth as 16-bit PNGs, a folder `arc evaluate --gt` reads",
                       description=export_gt.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("--dataset", required=True, help="reader: nyu-mat (the labelled .mat), nyu, kitti, pbrs, vkitti")
    e.add_argument("--root", required=True, help="dataset root (for nyu-mat: nyu_depth_v2_labeled.mat)")
    e.add_argument("--list", required=True, help="split list, e.g. data/splits/nyu_official_test_indices.txt")
    e.add_argument("--out", required=True, help="output folder (replaced when complete)")
    e.add_argument("--scale", type=float, default=0.001, help="metres per PNG unit (default 0.001: millimetres)")
    e.set_defaults(func=cmd_export_gt)
    s = sub.add_parser("sample", help="write a seeded split list (and optionally a disjoint validation list)",
                       description="Pool: --pool LIST, or every entry under --root, or (nyu-mat) trainNdxs of "
                                   "--splits-mat (testNdxs are then excluded).")
    s.add_argument("--dataset", required=True, choices=DATASETS)
    s.add_argument("--root", help="dataset root (the pool is every frame found there)")
    s.add_argument("--pool", help="split list to sample from (e.g. BTS nyu_train_files_with_gt.txt)")
    s.add_argument("--splits-mat", help="nyu-mat: NYU splits.mat (pool = trainNdxs, excluded = testNdxs)")
    s.add_argument("--out", required=True, help="output list")
    s.add_argument("--n", type=int, help="number of training entries (default for --mode all: everything)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--mode", choices=("random", "first", "all"),
                   help="random (default), first (default for kitti: first N in sorted order), all (default for vkitti)")
    s.add_argument("--exclude", action="append", default=[], help="list whose entries must not be sampled (repeatable)")
    s.add_argument("--exclude-scenes-of", action="append", default=[],
                   help="list whose scenes/drives must not be sampled at all (repeatable; e.g. the Eigen test list)")
    s.add_argument("--val-out", help="also write a validation list disjoint from the training list")
    s.add_argument("--n-val", type=int, default=0)
    s.add_argument("--val-scene-disjoint", action="store_true", help="validation only from scenes the train list lacks")
    _reader_options(s)
    s.set_defaults(func=cmd_sample)

    c = sub.add_parser("cache", help="decode, preprocess and store one split as memory-mapped arrays")
    c.add_argument("--dataset", required=True, choices=DATASETS)
    c.add_argument("--root", required=True, help="dataset root (nyu-mat: the .mat file)")
    c.add_argument("--list", help="split list (default: every sample under --root)")
    c.add_argument("--split", help="split name (synthrooms: which generated split to read); default: --out's name")
    c.add_argument("--height", type=int, help="target height (synthrooms: default the generated size)")
    c.add_argument("--width", type=int)
    c.add_argument("--out", required=True, help="data/cache/<benchmark>/<split>")
    c.add_argument("--benchmark", help="benchmark name for the manifest (default: --out's parent folder name)")
    _reader_options(c)
    c.set_defaults(func=cmd_cache)
