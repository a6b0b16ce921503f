"""One reader per dataset, all yielding :class:`~arc.data.readers.base.Record`.

``open_reader(dataset, root, **options)`` builds a reader for a dataset root;
``locate(dataset, path)`` finds the reader and entry for a single file.

| dataset      | root                                   | depth on disk                      |
|--------------|----------------------------------------|------------------------------------|
| `nyu`        | NYU raw/sync frames                    | uint16 mm                          |
| `nyu-mat`    | nyu_depth_v2_labeled.mat (v7.3 / HDF5) | float32 m (transposed arrays)      |
| `pbrs`       | folder with mlt_v2/ and depth_v2/      | uint16 mm (z-depth)                |
| `kitti`      | KITTI raw (+ --depth-root annotated)   | uint16 m * 256                     |
| `vkitti`     | Virtual KITTI 1.3.1 or 2               | uint16 cm, 65535 = far             |
| `synthrooms` | `arc data generate` output             | uint16 mm (indoor) / m * 256       |
"""

from __future__ import annotations

from pathlib import Path

from arc.data.readers.base import Reader, Record
from arc.data.readers.kitti import KittiReader
from arc.data.readers.nyu import NyuSyncReader
from arc.data.readers.nyu_mat import NyuMatReader, read_nyu_splits
from arc.data.readers.pbrs import PbrsReader
from arc.data.readers.synthrooms import SynthRoomsReader
from arc.data.readers.vkitti import locate_vkitti, open_vkitti
from arc.errors import DataError

DATASETS = ("nyu", "nyu-mat", "pbrs", "kitti", "vkitti", "synthrooms")


def open_reader(dataset: str, root, *, split: str | None = None, depth_root=None, variants=None,
                vkitti_version: str | None = None) -> Reader:
    if dataset == "nyu":
        return NyuSyncReader(root)
    if dataset == "nyu-mat":
        return NyuMatReader(root)
    if dataset == "pbrs":
        return PbrsReader(root)
    if dataset == "kitti":
        return KittiReader(root, depth_root=depth_root)
    if dataset == "vkitti":
        return open_vkitti(root, variants=variants, version=vkitti_version)
    if dataset == "synthrooms":
        return SynthRoomsReader(root, split=split)
    raise DataError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")


def locate(dataset: str, path) -> tuple[Reader, list[str] | None]:
    """Reader and entries for a path given on the command line: a dataset root (all entries,
    returned as None) or a single file of the dataset."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; expected a {dataset} dataset root or one of its files")
    if path.is_dir() or dataset == "nyu-mat":
        if dataset == "synthrooms" and (path / "rgb").is_dir() and not (path / "meta.json").exists():
            return SynthRoomsReader(path.parent, split=path.name), None  # a split folder
        return open_reader(dataset, path), None
    if dataset == "nyu":
        reader, entry = NyuSyncReader.locate(path)
    elif dataset == "pbrs":
        reader, entry = PbrsReader.locate(path)
    elif dataset == "kitti":
        reader, entry = KittiReader.locate(path)
    elif dataset == "vkitti":
        reader, entry = locate_vkitti(path)
    elif dataset == "synthrooms":
        split_dir = path.parent.parent
        reader, entry = SynthRoomsReader(split_dir.parent, split=split_dir.name), path.stem
    else:
        raise DataError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    return reader, [entry]


__all__ = ["DATASETS", "Reader", "Record", "locate", "open_reader", "read_nyu_splits"]
