"""The record every reader yields, and the checked image/depth decoding they share.

A reader turns one dataset layout into :class:`Record` objects: a flat name
(no '/', safe as a file name), RGB uint8 (H, W, 3) and depth float32 metres
with 0 = invalid, at the dataset's native resolution (preprocessing --
cropping, resizing, clipping -- lives in ``arc.data.preprocess``).

Every problem with the input raises :class:`arc.errors.DataError` naming the
file and what was expected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from arc.errors import DataError


@dataclass
class Record:
    name: str
    rgb: np.ndarray  # uint8 (H, W, 3)
    depth: np.ndarray  # float32 (H, W) metres, 0 = invalid
    extras: dict = field(default_factory=dict)  # eval-only arrays (SynthRooms clutter mask, clean twin)


@dataclass(frozen=True)
class DepthRange:
    """What metres look like for a dataset; a violation means the unit (or the file) is wrong."""

    median_min: float  # median of valid depth must be at least this
    median_max: float
    max_allowed: float | None = None  # hard upper bound on any valid value


def check_depth_range(depth: np.ndarray, rng: DepthRange, path: str | os.PathLike, unit_hint: str) -> None:
    valid = depth[depth > 0]
    if valid.size == 0:
        return  # an all-invalid frame is legal (e.g. a LiDAR frame cropped to the sky)
    median, peak = float(np.median(valid)), float(valid.max())
    if rng.max_allowed is not None and peak > rng.max_allowed:
        raise DataError(
            f"{path}: depth reaches {peak:.1f} m, above the {rng.max_allowed:g} m this dataset can hold; "
            f"expected {unit_hint} -- is the file in another unit?"
        )
    if not rng.median_min <= median <= rng.median_max:
        raise DataError(
            f"{path}: median depth {median:.3g} m is outside the plausible {rng.median_min:g}-{rng.median_max:g} m; "
            f"expected {unit_hint} -- is the file in another unit?"
        )


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise DataError(f"{path}: not found; expected {what}")
    return path


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise DataError(f"{path}: dataset root not found; expected {what}")
    return path


def _decode(path: Path, flags: int) -> np.ndarray:
    require_file(path, "an image file")
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise DataError(f"{path}: corrupt or not an image (OpenCV could not decode it)")
    return image


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """8-bit RGB (H, W, 3) from PNG/JPEG; grey images are expanded, alpha dropped."""
    path = Path(path)
    image = _decode(path, cv2.IMREAD_UNCHANGED)
    if image.dtype != np.uint8:
        raise DataError(f"{path}: {image.dtype} image; expected an 8-bit RGB image")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image[:, :, ::-1])


def read_depth_png(path: str | os.PathLike) -> np.ndarray:
    """Raw uint16 (H, W) values of a single-channel 16-bit depth PNG."""
    path = Path(path)
    image = _decode(path, cv2.IMREAD_UNCHANGED)
    if image.ndim != 2 or image.dtype != np.uint16:
        shape = "x".join(map(str, image.shape))
        raise DataError(
            f"{path}: {image.dtype} image of shape {shape}; expected a single-channel 16-bit depth PNG "
            "(an 8-bit or colour file is a visualisation, not depth)"
        )
    return image


def read_mask_png(path: str | os.PathLike) -> np.ndarray:
    """Single-channel 8-bit mask (H, W)."""
    path = Path(path)
    image = _decode(path, cv2.IMREAD_UNCHANGED)
    if image.ndim != 2 or image.dtype != np.uint8:
        raise DataError(f"{path}: {image.dtype} image of shape {image.shape}; expected a single-channel 8-bit mask PNG")
    return image


def check_pair(name: str, rgb: np.ndarray, depth: np.ndarray, rgb_path, depth_path) -> None:
    if rgb.shape[:2] != depth.shape:
        raise DataError(
            f"{depth_path}: depth is {depth.shape[0]}x{depth.shape[1]} but its RGB {rgb_path} is "
            f"{rgb.shape[0]}x{rgb.shape[1]}; expected the same size for sample {name}"
        )


class Reader:
    """Base class: ``entries()`` lists what exists, ``read(entry)`` decodes one sample.

    An *entry* is the dataset's own line format in split lists (e.g. a BTS line
    for NYU, an Eigen line for KITTI); ``parse_entry`` accepts any such line.
    """

    dataset: str = ""
    family: str = ""  # indoor | outdoor
    domain: str = ""  # synthetic | real
    max_depth: float = 10.0

    def entries(self) -> list[str]:
        raise NotImplementedError

    def parse_entry(self, line: str) -> str:
        return line.strip()

    def scene_of(self, entry: str) -> str:
        """The recording/scene an entry belongs to (for scene-level disjointness)."""
        return entry

    def read(self, entry: str) -> Record:
        raise NotImplementedError

    def records(self, entries: list[str] | None = None) -> Iterator[Record]:
        for entry in self.entries() if entries is None else entries:
            yield self.read(entry)
