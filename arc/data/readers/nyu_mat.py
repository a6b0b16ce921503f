"""NYU Depth v2 labelled set: ``nyu_depth_v2_labeled.mat`` (MATLAB v7.3 = HDF5) + ``splits.mat``.

MATLAB stores arrays column-major, so h5py sees them transposed:
``images`` is (N, 3, W, H) uint8 and ``depths`` is (N, W, H) float32 metres
(N = 1449, W = 640, H = 480). ``splits.mat`` (MATLAB v5) holds ``trainNdxs``
(795) and ``testNdxs`` (654), 1-based indices into the N frames.

Entries are those 1-based indices (one per line in split lists). Names are
``labeled_NNNNN`` with the 0-based index, the number BTS uses in its file names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.data.readers.base import DepthRange, Reader, Record, check_depth_range, require_file
from arc.errors import DataError

# The labelled depths are in-painted metres up to ~10 m; anything above 20 m is another unit.
NYU_MAT_RANGE = DepthRange(median_min=0.3, median_max=10.0, max_allowed=20.0)


def _open_h5(path: Path):
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataError(
            f"{path}: cannot be opened as HDF5 ({exc}); expected nyu_depth_v2_labeled.mat in MATLAB v7.3 format"
        ) from None


class NyuMatReader(Reader):
    dataset = "nyu-mat"
    family = "indoor"
    domain = "real"
    max_depth = 10.0
    layout = "nyu_depth_v2_labeled.mat (MATLAB v7.3 / HDF5) with images (N, 3, W, H) and depths (N, W, H)"

    def __init__(self, root):
        self.path = self.root = require_file(Path(root), "nyu_depth_v2_labeled.mat (MATLAB v7.3 / HDF5)")
        self._file = _open_h5(self.path)
        for key, ndim in (("images", 4), ("depths", 3)):
            if key not in self._file:
                raise DataError(f"{self.path}: no dataset '{key}'; expected the NYU labelled .mat with images and depths")
            if self._file[key].ndim != ndim:
                raise DataError(f"{self.path}: '{key}' has shape {self._file[key].shape}; expected {ndim} dimensions")
        self.images, self.depths = self._file["images"], self._file["depths"]
        n_img, n_dep = self.images.shape[0], self.depths.shape[0]
        if n_img != n_dep or self.images.shape[1] != 3 or self.images.shape[2:] != self.depths.shape[1:]:
            raise DataError(
                f"{self.path}: images {self.images.shape} and depths {self.depths.shape} do not match; "
                "expected (N, 3, W, H) and (N, W, H)"
            )
        self.count = n_img

    def close(self) -> None:
        self._file.close()

    def entries(self) -> list[str]:
        return [str(i) for i in range(1, self.count + 1)]

    def parse_entry(self, line: str) -> str:
        text = line.strip()
        try:
            index = int(text)
        except ValueError:
            raise DataError(f"NYU labelled entry {text!r}: expected a 1-based frame index") from None
        if not 1 <= index <= self.count:
            raise DataError(
                f"NYU labelled entry {index}: index out of range; expected 1..{self.count} (1-based) for {self.path}"
            )
        return str(index)

    def read(self, entry: str) -> Record:
        index = int(self.parse_entry(entry))
        rgb = np.ascontiguousarray(np.asarray(self.images[index - 1]).transpose(2, 1, 0))
        depth = np.ascontiguousarray(np.asarray(self.depths[index - 1], dtype=np.float32).T)
        if rgb.dtype != np.uint8:
            raise DataError(f"{self.path}: images are {rgb.dtype}; expected uint8")
        check_depth_range(depth, NYU_MAT_RANGE, f"{self.path} (frame {index})", "float metres")
        depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0).astype(np.float32)
        return Record(f"labeled_{index - 1:05d}", rgb, depth)


def read_nyu_splits(path, count: int = 1449) -> dict[str, np.ndarray]:
    """``{'train': ..., 'test': ...}`` 1-based indices from NYU's ``splits.mat``, checked."""
    from scipy.io import loadmat

    path = require_file(Path(path), "NYU splits.mat with trainNdxs and testNdxs")
    try:
        mat = loadmat(path)
    except Exception as exc:  # scipy raises several types for bad files
        raise DataError(f"{path}: cannot be read as a MATLAB file ({exc}); expected NYU splits.mat") from None
    out = {}
    for key, name in (("trainNdxs", "train"), ("testNdxs", "test")):
        if key not in mat:
            raise DataError(f"{path}: no variable '{key}'; expected trainNdxs and testNdxs")
        idx = np.asarray(mat[key]).astype(np.int64).ravel()
        bad = idx[(idx < 1) | (idx > count)]
        if bad.size:
            raise DataError(f"{path}: {key} has index {int(bad[0])} out of range; expected 1..{count} (1-based)")
        out[name] = idx
    if np.intersect1d(out["train"], out["test"]).size:
        raise DataError(f"{path}: trainNdxs and testNdxs overlap; expected disjoint splits")
    return out
