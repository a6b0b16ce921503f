"""The decoded cache: each split stored once as uint8 RGB / uint16 depth .npy arrays.

Layout of ``data/cache/<benchmark>/<split>/`` (see docs/ARCHITECTURE.md):
``manifest.json`` + ``rgb.npy`` (N, H, W, 3) uint8 + ``depth.npy`` (N, H, W) uint16
(metres = value * depth_scale, 0 = invalid) + for SynthRooms real splits the
evaluation-only ``clutter_mask.npy``, ``clean_rgb.npy``, ``clean_depth.npy``; for the KITTI test
split with ``data.kitti.lidar_gt`` also ``full_gt.npz`` (manifest ``full_gt``): each frame's projected
LiDAR at its own full resolution, stored sparse (the sizes differ between drives, ~5 % of pixels hold a return).
Arrays are opened memory-mapped, so training never decodes images per epoch.
A split is written into a temporary directory and renamed when complete.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from arc.data.preprocess import DEPTH_SCALE, FAMILY_MAX_DEPTH, depth_to_uint16, preprocess_record, spec_for
from arc.errors import DataError
from arc.utils.atomic import atomic_directory, atomic_write_json

FORMAT = "arc-cache/1"
FULL_GT_FILE = "full_gt.npz"
# name -> (dtype, trailing shape after (N, H, W), depth-like?)
ARRAY_KINDS = {
    "rgb": (np.uint8, (3,), False),
    "depth": (np.uint16, (), True),
    "clutter_mask": (np.uint8, (), False),
    "clean_rgb": (np.uint8, (3,), False),
    "clean_depth": (np.uint16, (), True),
    "clutter_kind": (np.uint8, (), False),
}
EVAL_ONLY = ("clutter_mask", "clean_rgb", "clean_depth", "clutter_kind")
REQUIRED_KEYS = ("format", "benchmark", "dataset", "family", "domain", "split", "count", "height", "width",
                 "max_depth", "depth_scale", "names", "arrays", "eval_only")


@dataclass
class CacheSplit:
    """A memory-mapped cache split. ``rgb``/``depth`` are the training arrays; eval-only
    arrays are opened on request with ``array(name)``."""

    path: Path
    manifest: dict

    def __post_init__(self):
        self.names: list[str] = list(self.manifest["names"])
        self.depth_scale = float(self.manifest["depth_scale"])
        self.max_depth = float(self.manifest["max_depth"])
        self._arrays: dict[str, np.ndarray] = {}
        self.rgb = self.array("rgb")
        self.depth = self.array("depth")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def eval_only(self) -> tuple[str, ...]:
        return tuple(self.manifest["eval_only"])

    def has(self, name: str) -> bool:
        return name in self.manifest["arrays"]

    def array(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            if name not in self.manifest["arrays"]:
                raise DataError(
                    f"{self.path / 'manifest.json'}: no array {name!r}; this split has "
                    f"{', '.join(self.manifest['arrays'])}"
                )
            self._arrays[name] = _load_checked(self.path, self.manifest, name)
        return self._arrays[name]

    def depth_m(self, index: int) -> np.ndarray:
        """Depth of sample ``index`` in metres, float32, 0 = invalid."""
        return self.depth[index].astype(np.float32) * self.depth_scale

    def clean_depth_m(self, index: int) -> np.ndarray:
        return self.array("clean_depth")[index].astype(np.float32) * self.depth_scale

    @property
    def full_gt_source(self) -> str | None:
        """What the full-resolution ground truth was made from (e.g. ``kitti-velodyne``), None without one."""
        return (self.manifest.get("full_gt") or {}).get("source")

    def full_gt_m(self, index: int) -> np.ndarray:
        """Full-resolution ground truth of sample ``index`` in metres, float32, 0 = invalid."""
        if not hasattr(self, "_full_gt"):
            if self.full_gt_source is None:
                raise DataError(f"{self.path / 'manifest.json'}: no full-resolution ground truth (key 'full_gt'); "
                                "expected a KITTI test split cached with data.kitti.lidar_gt: true")
            self._full_gt = SparseDepthMaps.load(self.path / self.manifest["full_gt"]["file"], len(self))
        return self._full_gt.dense(index)


class SparseDepthMaps:
    """Depth maps of varying sizes kept as their valid pixels: per map its (height, width) and an offset
    into flat pixel indices and depths (float32 metres, as computed: no uint16 rounding)."""

    def __init__(self, shapes=None, offsets=None, pixels=None, depths=None):
        self.shapes = [] if shapes is None else shapes
        self._pixels = [] if pixels is None else pixels
        self._depths = [] if depths is None else depths
        self.offsets = offsets

    def add(self, depth: np.ndarray) -> None:
        flat = np.asarray(depth, dtype=np.float32).ravel()
        valid = np.flatnonzero(flat > 0)
        self.shapes.append(depth.shape)
        self._pixels.append(valid.astype(np.int32))
        self._depths.append(flat[valid])

    def save(self, path: Path) -> None:
        offsets = np.cumsum([0] + [len(p) for p in self._pixels]).astype(np.int64)
        with open(path, "wb") as fh:
            np.savez(fh, shapes=np.asarray(self.shapes, dtype=np.int32).reshape(-1, 2), offsets=offsets,
                     pixels=np.concatenate(self._pixels) if self._pixels else np.zeros(0, np.int32),
                     depths=np.concatenate(self._depths) if self._depths else np.zeros(0, np.float32))

    @classmethod
    def load(cls, path: Path, count: int) -> "SparseDepthMaps":
        if not path.is_file():
            raise DataError(f"{path}: not found; the manifest beside it lists it as the full-resolution ground truth")
        try:
            with np.load(path, allow_pickle=False) as data:
                maps = cls(data["shapes"], data["offsets"], data["pixels"], data["depths"])
        except (OSError, ValueError, KeyError) as exc:
            raise DataError(f"{path}: not a readable full-resolution ground truth ({exc}); rebuild the cache split") from None
        if len(maps.shapes) != count or len(maps.offsets) != count + 1:
            raise DataError(f"{path}: {len(maps.shapes)} maps; expected {count}, one per sample of the manifest")
        return maps

    def dense(self, index: int) -> np.ndarray:
        height, width = (int(v) for v in self.shapes[index])
        out = np.zeros(height * width, np.float32)
        start, stop = self.offsets[index], self.offsets[index + 1]
        out[self._pixels[start:stop]] = self._depths[start:stop]
        return out.reshape(height, width)


def _load_checked(path: Path, manifest: dict, name: str) -> np.ndarray:
    entry = manifest["arrays"][name]
    # An entry is a file name inside the split folder: "../" or an absolute path would read elsewhere.
    if not isinstance(entry, str) or not entry or Path(entry).name != entry or entry in (".", ".."):
        raise DataError(
            f"{path / 'manifest.json'}: arrays.{name} = {entry!r}; expected a file name inside {path} "
            f"(e.g. {name + '.npy'!r}), without folders"
        )
    file = path / entry
    if not file.is_file():
        raise DataError(f"{file}: not found; the manifest {path / 'manifest.json'} lists it as array {name!r}")
    rebuild = f"delete {path} and rerun the stage that builds it (build_cache, or `arc data cache`)"
    expected_digest = manifest.get("sha256", {}).get(name)
    if expected_digest is not None and file_sha256(file) != expected_digest:
        raise DataError(
            f"{file}: does not match the checksum in {path / 'manifest.json'}: the array changed after the cache "
            f"was built (a disk or copy fault, or an edit); {rebuild}"
        )
    try:
        array = np.load(file, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        reason = "an empty or cut file" if isinstance(exc, EOFError) or file.stat().st_size == 0 else str(exc)
        raise DataError(f"{file}: not a readable .npy array ({reason}); {rebuild}") from None
    dtype, trailing, _ = ARRAY_KINDS.get(name, (None, None, None))
    expected = (manifest["count"], manifest["height"], manifest["width"]) + (trailing or ())
    if trailing is not None and (array.shape != expected or array.dtype != dtype):
        raise DataError(
            f"{file}: {array.dtype} array of shape {array.shape}; expected {np.dtype(dtype)} {expected} "
            f"from {path / 'manifest.json'}"
        )
    return array


def file_sha256(file: Path) -> str:
    """One sequential read (it also warms the page cache the memory map then reads from)."""
    with open(file, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _array_bytes(count: int, height: int, width: int, names: Iterable[str]) -> int:
    total = 0
    for name in names:
        dtype, trailing, _ = ARRAY_KINDS[name]
        total += count * height * width * int(np.prod(trailing or (1,))) * np.dtype(dtype).itemsize + 4096
    return total


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:.2f} {unit}"
    return f"{n} bytes"


def _check_free_space(folder: Path, needed: int, split: str) -> None:
    """The arrays are memory-mapped: writing past a full disk kills the process (SIGBUS) without a word."""
    free = shutil.disk_usage(folder.parent).free
    if free < needed:
        raise DataError(
            f"{folder}: {_size(free)} free on its disk; the cache split {split} needs {_size(needed)}. "
            "Free some space (or point the cache elsewhere) and rerun"
        )


def _reserve(array_path: Path, size: int, final_path: Path) -> None:
    """Allocate the file's blocks now, so that a disk that fills up later fails here with a message."""
    fd = os.open(array_path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DataError(f"{final_path}: the disk is full ({_size(size)} needed for this array); "
                            "free some space and rerun") from None
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise
    finally:
        os.close(fd)


def read_manifest(path: str | os.PathLike) -> dict:
    """The manifest of the cache split at ``path`` (checked for existence, JSON and format only)."""
    manifest_path = Path(path) / "manifest.json"
    if not manifest_path.is_file():
        raise DataError(f"{manifest_path}: not found; expected a cache split written by `arc data cache` "
                        "or the workflow's build_cache stage")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{manifest_path}: not valid JSON ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise DataError(f"{manifest_path}: format {manifest.get('format')!r}; expected {FORMAT!r}")
    return manifest


def open_cache(path: str | os.PathLike) -> CacheSplit:
    path = Path(path)
    manifest_path = path / "manifest.json"
    manifest = read_manifest(path)
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise DataError(f"{manifest_path}: missing key(s) {', '.join(missing)}")
    if len(manifest["names"]) != manifest["count"]:
        raise DataError(f"{manifest_path}: {len(manifest['names'])} names but count {manifest['count']}")
    return CacheSplit(path, manifest)


def write_cache(out_dir: str | os.PathLike, records: Iterable, *, count: int, benchmark: str, dataset: str,
                family: str, domain: str, split: str, height: int, width: int, max_depth: float | None = None,
                depth_scale: float | None = None, extras: tuple[str, ...] = (), source: dict | None = None,
                full_gt: tuple[str, SparseDepthMaps] | None = None) -> CacheSplit:
    """Write ``count`` preprocessed records (already at ``height`` x ``width``) as one cache split.

    ``extras`` names the evaluation-only arrays every record carries in ``record.extras``.
    ``full_gt``: (source name, maps filled one per record while ``records`` is consumed), stored beside.
    """
    max_depth = float(max_depth if max_depth is not None else FAMILY_MAX_DEPTH[family])
    depth_scale = float(depth_scale if depth_scale is not None else DEPTH_SCALE[family])
    unknown = [e for e in extras if e not in EVAL_ONLY]
    if unknown:
        raise DataError(f"unknown extra array(s) {unknown}; expected some of {', '.join(EVAL_ONLY)}")
    if count < 1:
        raise DataError(f"split {split} of {benchmark}: no samples to cache; expected at least one")
    names: list[str] = []
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp:
        _check_free_space(out_dir, _array_bytes(count, height, width, ("rgb", "depth", *extras)), split)
        arrays = {}
        for name in ("rgb", "depth", *extras):
            dtype, trailing, _ = ARRAY_KINDS[name]
            arrays[name] = np.lib.format.open_memmap(tmp / f"{name}.npy", mode="w+", dtype=dtype,
                                                     shape=(count, height, width) + trailing)
            _reserve(tmp / f"{name}.npy", arrays[name].offset + arrays[name].nbytes, out_dir / f"{name}.npy")
        for i, record in enumerate(records):
            if i >= count:
                raise DataError(f"split {split}: more than the expected {count} samples")
            if record.rgb.shape != (height, width, 3) or record.depth.shape != (height, width):
                raise DataError(
                    f"sample {record.name}: RGB {record.rgb.shape} / depth {record.depth.shape} after preprocessing; "
                    f"expected {height}x{width}"
                )
            arrays["rgb"][i] = record.rgb
            arrays["depth"][i] = depth_to_uint16(record.depth, depth_scale, record.name)
            for name in extras:
                if name not in record.extras:
                    raise DataError(f"sample {record.name}: no {name} array; expected every sample to carry it")
                value = record.extras[name]
                arrays[name][i] = depth_to_uint16(value, depth_scale, record.name) if ARRAY_KINDS[name][2] else value
            names.append(record.name)
        if len(names) != count:
            raise DataError(f"split {split}: got {len(names)} samples; expected {count}")
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})[:3]
            raise DataError(f"split {split}: duplicate sample names {dup}; expected each sample once")
        for array in arrays.values():
            array.flush()
        del arrays
        manifest = {
            "format": FORMAT, "benchmark": benchmark, "dataset": dataset, "family": family, "domain": domain,
            "split": split, "count": count, "height": height, "width": width, "max_depth": max_depth,
            "depth_scale": depth_scale, "names": names,
            "arrays": {name: f"{name}.npy" for name in ("rgb", "depth", *extras)},
            "eval_only": list(extras), "source": source or {},
            "sha256": {name: file_sha256(tmp / f"{name}.npy") for name in ("rgb", "depth", *extras)},
        }
        if full_gt is not None:
            gt_source, maps = full_gt
            if len(maps.shapes) != count:
                raise DataError(f"split {split}: {len(maps.shapes)} full-resolution ground-truth maps; expected {count}")
            maps.save(tmp / FULL_GT_FILE)
            manifest["full_gt"] = {"file": FULL_GT_FILE, "source": gt_source}
        atomic_write_json(tmp / "manifest.json", manifest)
    return open_cache(out_dir)


def build_cache(dataset: str, root, out_dir, *, height: int | None = None, width: int | None = None,
                list_path=None, split: str | None = None, benchmark: str | None = None, domain: str | None = None,
                depth_root=None, variants=None, vkitti_version: str | None = None,
                selection: dict | None = None, lidar_gt: bool = False) -> CacheSplit:
    """Read a dataset (all entries or those of a split list), preprocess, and write one cache split.

    ``selection`` records in the manifest how the list was chosen from a longer one (listed, skipped, why),
    so that evaluation can say how many frames it scored and why. ``lidar_gt`` (KITTI test split): also
    store each frame's projected raw LiDAR at full resolution (the kitti-eigen-lidar protocols' ground truth).
    """
    from arc.data.readers import open_reader
    from arc.evaluation.protocols import KITTI_VELODYNE_GT
    from arc.data.sampling import read_split_list

    if lidar_gt and dataset != "kitti":
        raise DataError(f"lidar_gt is for KITTI's raw download; dataset {dataset!r} has no Velodyne scans")
    if lidar_gt:
        from arc.data.readers.kitti import KittiReader

        reader = KittiReader(root, depth_root=depth_root, test_lidar=True)
    else:
        reader = open_reader(dataset, root, split=split, depth_root=depth_root, variants=variants,
                             vkitti_version=vkitti_version)
    try:
        if dataset == "synthrooms":
            if split is None:
                raise DataError("--split is required for --dataset synthrooms (syn_train, real_train, real_val or real_test)")
            height = height or reader.meta["height"]
            width = width or reader.meta["width"]
        if not height or not width:
            raise DataError("--height and --width are required for real datasets")
        entries = reader.require_entries() if list_path is None else [reader.parse_entry(l) for l in read_split_list(list_path)]
        out_dir = Path(out_dir)
        spec = spec_for(dataset, height, width, max_depth=reader.max_depth, family=reader.family)
        extras = tuple(EVAL_ONLY) if dataset == "synthrooms" and reader.domain == "real" else ()
        full_gt = (KITTI_VELODYNE_GT, SparseDepthMaps()) if lidar_gt else None

        def records():
            for entry in entries:
                if full_gt is not None:
                    full_gt[1].add(reader.lidar_depth(entry))
                yield preprocess_record(reader.read(entry), spec)

        return write_cache(
            out_dir, records(), count=len(entries), benchmark=benchmark or out_dir.parent.name, dataset=dataset,
            family=reader.family, domain=domain or reader.domain, split=split or out_dir.name, height=height,
            width=width, max_depth=spec.max_depth, extras=extras,
            source={"root": str(root), "list": str(list_path) if list_path else None, "preprocess": spec.as_dict(),
                    **({"selection": selection} if selection else {})},
            full_gt=full_gt,
        )
    finally:
        if hasattr(reader, "close"):
            reader.close()
