"""Preprocessing of decoded records, in one place: crop, resize, depth clip.

Per dataset (``spec_for``):
- NYU (raw/sync and labelled): crop the white/black Kinect undistortion border,
  rows 45:471 and cols 41:601 of the 480x640 frame (the authors' code), then resize;
  depth clipped to 10 m (a 10.0 m saturation value stays valid at 10 m).
- PBRS: resize; depth clipped to 10 m.
- KITTI: resize; depth capped at 80 m. vKITTI: resize; the far code
  (655.35 m) and everything beyond 80 m is clipped to 80 m, as in the paper.
- SynthRooms: resize only if the requested size differs; clip to meta's max_depth.

RGB is resized with area averaging when shrinking (bilinear when enlarging).
Depth and masks are resized with centre-aligned nearest neighbour and never
interpolated, so invalid pixels (0) never blend into valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

from arc.errors import DataError

if TYPE_CHECKING:  # the readers import this module's constants; avoid a cycle at run time
    from arc.data.readers.base import Record

NYU_FRAME_SHAPE = (480, 640)
NYU_CROP = (slice(45, 471), slice(41, 601))
# Family conventions used everywhere (generator, cache, datasets): the depth cap and the
# uint16 depth encoding (indoor millimetres as NYU/PBRS, outdoor metres * 256 as KITTI).
FAMILY_MAX_DEPTH = {"indoor": 10.0, "outdoor": 80.0}
DEPTH_SCALE = {"indoor": 1.0 / 1000.0, "outdoor": 1.0 / 256.0}  # metres per uint16 unit
DATASET_FAMILY = {"nyu": "indoor", "nyu-mat": "indoor", "pbrs": "indoor", "kitti": "outdoor", "vkitti": "outdoor"}


@dataclass(frozen=True)
class PreprocessSpec:
    height: int
    width: int
    max_depth: float
    crop_nyu_border: bool = False

    def as_dict(self) -> dict:
        return {"height": self.height, "width": self.width, "max_depth": self.max_depth,
                "crop": "nyu rows 45:471 cols 41:601" if self.crop_nyu_border else None,
                "rgb_resize": "area (shrink) / bilinear (enlarge)", "depth_resize": "nearest"}


def spec_for(dataset: str, height: int, width: int, max_depth: float | None = None,
             family: str | None = None) -> PreprocessSpec:
    family = family or DATASET_FAMILY.get(dataset)
    if family not in FAMILY_MAX_DEPTH:
        raise DataError(f"dataset {dataset!r}: unknown family {family!r}; expected indoor or outdoor")
    if height < 1 or width < 1:
        raise DataError(f"target size {height}x{width}; expected positive --height and --width")
    return PreprocessSpec(height, width, float(max_depth or FAMILY_MAX_DEPTH[family]),
                          crop_nyu_border=dataset in ("nyu", "nyu-mat"))


def crop_nyu_border(image: np.ndarray, name: str) -> np.ndarray:
    if image.shape[:2] != NYU_FRAME_SHAPE:
        raise DataError(
            f"NYU sample {name}: frame is {image.shape[0]}x{image.shape[1]}; expected 480x640 before the border crop"
        )
    return image[NYU_CROP]


def nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Centre-aligned nearest source index for each output index."""
    return np.minimum(((np.arange(n_out) + 0.5) * n_in / n_out).astype(np.int64), n_in - 1)


def resize_nearest(array: np.ndarray, height: int, width: int) -> np.ndarray:
    if array.shape[:2] == (height, width):
        return array
    rows = nearest_indices(array.shape[0], height)
    cols = nearest_indices(array.shape[1], width)
    return np.ascontiguousarray(array[rows][:, cols])


def resize_rgb(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    if rgb.shape[:2] == (height, width):
        return rgb
    shrink = height < rgb.shape[0] and width < rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def clip_depth(depth: np.ndarray, max_depth: float) -> np.ndarray:
    """Valid depth above ``max_depth`` becomes ``max_depth``; invalid (<= 0 or not finite) becomes 0."""
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0)
    return np.minimum(depth, max_depth).astype(np.float32)


def preprocess_record(record: "Record", spec: PreprocessSpec) -> "Record":
    rgb, depth, extras = record.rgb, record.depth, dict(record.extras)
    if spec.crop_nyu_border:
        rgb, depth = crop_nyu_border(rgb, record.name), crop_nyu_border(depth, record.name)
    rgb = resize_rgb(rgb, spec.height, spec.width)
    depth = clip_depth(resize_nearest(depth, spec.height, spec.width), spec.max_depth)
    for key, value in extras.items():
        if key.endswith("rgb"):
            extras[key] = resize_rgb(value, spec.height, spec.width)
        elif key.endswith("depth"):
            extras[key] = clip_depth(resize_nearest(value, spec.height, spec.width), spec.max_depth)
        else:
            extras[key] = resize_nearest(value, spec.height, spec.width)
    return replace(record, rgb=rgb, depth=depth, extras=extras)


def depth_to_uint16(depth_m: np.ndarray, depth_scale: float, name: str = "") -> np.ndarray:
    """Metres -> uint16 units of ``depth_scale`` metres (0 stays 0)."""
    units = np.round(depth_m / depth_scale)
    if units.max(initial=0) > np.iinfo(np.uint16).max:
        raise DataError(
            f"sample {name}: depth {depth_m.max():.1f} m does not fit uint16 at {depth_scale:g} m per unit; "
            "expected depth clipped to the family's maximum first"
        )
    return units.astype(np.uint16)
