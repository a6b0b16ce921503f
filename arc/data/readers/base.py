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


def read_rgb(path: str | os.PathLike, scale_16bit: bool = False) -> np.ndarray:
    """8-bit RGB (H, W, 3) from PNG/JPEG; grey images are expanded, alpha dropped.

    A 16-bit image is refused (in a dataset's RGB slot it is a depth map or a wrong file), or with
    ``scale_16bit`` scaled to 8 bits (value / 257, so 65535 -> 255): photos given to a trained model.
    """
    path = Path(path)
    image = _decode(path, cv2.IMREAD_UNCHANGED)
    if image.dtype == np.uint16 and scale_16bit:
        image = np.round(image / 257.0).astype(np.uint8)
    if image.dtype != np.uint8:
        kind = "16-bit" if image.dtype == np.uint16 else str(image.dtype)
        raise DataError(f"{path}: {kind} image; expected an 8-bit RGB image")
    if image.ndim == 3 and image.shape[2] == 2:  # grey + alpha
        image = image[:, :, 0]
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


def count_files(root: Path, pattern: str, limit: int = 100_000) -> int:
    """How many files under ``root`` match the glob ``pattern`` (stops counting at ``limit``)."""
    n = 0
    for n, _ in enumerate(root.glob(pattern), start=1):
        if n >= limit:
            break
    return n


def describe_folder(root: Path, limit: int = 20_000) -> str:
    """A short account of what a folder holds, for 'nothing found' messages."""
    if not root.is_dir():
        return f"{root} is not a folder"
    top = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir())
    if not top:
        return f"{root} is empty"
    suffixes: dict[str, int] = {}
    for i, path in enumerate(root.rglob("*")):
        if i >= limit:
            break
        if path.is_file():
            suffix = path.suffix.lower() or "(no suffix)"
            suffixes[suffix] = suffixes.get(suffix, 0) + 1
    files = ", ".join(f"{n} {suffix}" for suffix, n in sorted(suffixes.items())) or "no files"
    shown = ", ".join(top[:6]) + (f", ... ({len(top)} entries)" if len(top) > 6 else "")
    return f"{root} holds {shown}; files: {files}"


class Reader:
    """Base class: ``entries()`` lists what exists, ``read(entry)`` decodes one sample.

    An *entry* is the dataset's own line format in split lists (e.g. a BTS line
    for NYU, an Eigen line for KITTI); ``parse_entry`` accepts any such line.
    """

    dataset: str = ""
    family: str = ""  # indoor | outdoor
    domain: str = ""  # synthetic | real
    max_depth: float = 10.0
    layout: str = ""  # the folder layout the reader expects, for "nothing found" messages
    root: Path

    def entries(self) -> list[str]:
        raise NotImplementedError

    def survey(self) -> str:
        """What the dataset folder holds, in a phrase (why ``entries()`` may be empty)."""
        return describe_folder(self.root)

    def require_entries(self) -> list[str]:
        """``entries()``, or a DataError naming the expected layout and what was found instead:
        finding no sample must never look like success."""
        found = self.entries()
        if not found:
            raise DataError(f"{self.root}: no {self.dataset} sample (RGB with its depth) found; "
                            f"expected {self.layout}; found: {self.survey()}")
        return found

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
