"""Virtual KITTI 1.3.1 and 2: RGB + uint16 centimetre depth, 65535 = sky/far.

- 1.3.1: ``ROOT/vkitti_1.3.1_rgb/<world>/<variant>/NNNNN.png`` and
  ``ROOT/vkitti_1.3.1_depthgt/<world>/<variant>/NNNNN.png``; entries ``<world>/<variant>/NNNNN``.
- 2: ``ROOT/Scene*/<variant>/frames/rgb/Camera_0/rgb_NNNNN.jpg`` and
  ``.../frames/depth/Camera_0/depth_NNNNN.png``; entries ``<scene>/<variant>/NNNNN``.

Metres = value / 100; the far code 65535 reads as 655.35 m and is clipped to
the family's 80 m by ``arc.data.preprocess`` (the paper clips vKITTI's 655.3 m to 80 m).
Names are ``<world>_<variant>_NNNNN``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.data.readers.base import (
    DepthRange, Reader, Record, check_depth_range, check_pair, count_files, read_depth_png, read_rgb, require_dir,
)
from arc.errors import DataError

VKITTI_DEPTH_SCALE = 1.0 / 100.0  # centimetres
VKITTI_FAR_CODE = 65535
VKITTI_RANGE = DepthRange(median_min=1.0, median_max=660.0)
VKITTI_UNIT = "uint16 centimetres (metres = value / 100, 65535 = far)"
VKITTI_VARIANTS = ("clone", "15-deg-left", "15-deg-right", "30-deg-left", "30-deg-right")
V1_RGB, V1_DEPTH = "vkitti_1.3.1_rgb", "vkitti_1.3.1_depthgt"
# Decoded depth at or above this is the far code (65535 cm), not a distance.
VKITTI_FAR_M = (VKITTI_FAR_CODE - 0.5) * VKITTI_DEPTH_SCALE
FAR_CODE_NOTE = (f"{VKITTI_FAR_CODE} is Virtual KITTI's sky/far code, not a distance: it is counted apart (far_fraction) "
                 "and left out of the depth statistics. Training keeps it: preprocessing clips it, like every depth "
                 "beyond the cap, to the outdoor cap of 80 m, so sky is learned as 'at least 80 m' (as in the paper).")


def far_code_mask(depth_m: np.ndarray) -> np.ndarray:
    """Pixels holding the far code in a decoded vKITTI depth map (metres)."""
    return depth_m >= VKITTI_FAR_M


def vkitti_depth_from_png(path) -> np.ndarray:
    raw = read_depth_png(path)
    depth = raw.astype(np.float32) * VKITTI_DEPTH_SCALE  # 65535 -> 655.35 m, "far"
    check_depth_range(depth, VKITTI_RANGE, path, VKITTI_UNIT)
    return depth


class _VKittiBase(Reader):
    family = "outdoor"
    domain = "synthetic"
    max_depth = 80.0
    version = ""

    def __init__(self, root, variants=None):
        self.root = require_dir(Path(root), "the Virtual KITTI folder")
        self.variants = tuple(variants) if variants else None

    def parse_entry(self, line: str) -> str:
        text = line.strip().strip("/")
        parts = text.split("/")
        if len(parts) != 3 or not parts[2].isdigit():
            raise DataError(f"Virtual KITTI entry {text!r}: expected '<world>/<variant>/<frame number>'")
        return f"{parts[0]}/{parts[1]}/{int(parts[2]):05d}"

    def scene_of(self, entry: str) -> str:
        return "/".join(entry.split("/")[:2])

    def _keep(self, variant: str) -> bool:
        return self.variants is None or variant in self.variants

    def read(self, entry: str) -> Record:
        entry = self.parse_entry(entry)
        rgb_path, depth_path = self._paths(entry)
        rgb = read_rgb(rgb_path)
        depth = vkitti_depth_from_png(depth_path)
        name = entry.replace("/", "_")
        check_pair(name, rgb, depth, rgb_path, depth_path)
        return Record(name, rgb, depth)

    def _paths(self, entry: str) -> tuple[Path, Path]:
        raise NotImplementedError


class VKitti1Reader(_VKittiBase):
    dataset = "vkitti"
    version = "1.3.1"
    layout = (f"Virtual KITTI 1.3.1 {V1_RGB}/<world>/<variant>/NNNNN.png with {V1_DEPTH}/<world>/<variant>/NNNNN.png "
              "(uint16 cm)")

    def survey(self) -> str:
        rgb, depth = count_files(self.root / V1_RGB, "*/*/*.png"), count_files(self.root / V1_DEPTH, "*/*/*.png")
        variants = sorted({p.name for p in (self.root / V1_DEPTH).glob("*/*") if p.is_dir()})
        return (f"{rgb} RGB and {depth} depth PNG(s) in variant folder(s) {', '.join(variants) or 'none'}"
                + (f"; kept variants {', '.join(self.variants)}" if self.variants else ""))

    def __init__(self, root, variants=None):
        super().__init__(root, variants)
        for sub in (V1_RGB, V1_DEPTH):
            require_dir(self.root / sub, f"Virtual KITTI 1.3.1's {sub}/<world>/<variant>/ inside {self.root}")

    def _paths(self, entry):
        world, variant, frame = entry.split("/")
        return (self.root / V1_RGB / world / variant / f"{frame}.png",
                self.root / V1_DEPTH / world / variant / f"{frame}.png")

    def entries(self) -> list[str]:
        found = []
        for depth in sorted((self.root / V1_DEPTH).glob("*/*/*.png")):
            world, variant = depth.parent.parent.name, depth.parent.name
            if self._keep(variant) and (self.root / V1_RGB / world / variant / depth.name).is_file():
                found.append(f"{world}/{variant}/{depth.stem}")
        return found


class VKitti2Reader(_VKittiBase):
    dataset = "vkitti"
    version = "2"
    layout = ("Virtual KITTI 2 Scene*/<variant>/frames/rgb/Camera_0/rgb_NNNNN.jpg with "
              "Scene*/<variant>/frames/depth/Camera_0/depth_NNNNN.png (uint16 cm)")

    def survey(self) -> str:
        rgb = count_files(self.root, "Scene*/*/frames/rgb/Camera_0/rgb_*")
        depth = count_files(self.root, "Scene*/*/frames/depth/Camera_0/depth_*.png")
        variants = sorted({p.name for p in self.root.glob("Scene*/*") if p.is_dir()})
        return (f"{rgb} RGB and {depth} depth file(s) in variant folder(s) {', '.join(variants) or 'none'}"
                + (f"; kept variants {', '.join(self.variants)}" if self.variants else ""))

    def _paths(self, entry):
        scene, variant, frame = entry.split("/")
        frames = self.root / scene / variant / "frames"
        rgb = frames / "rgb" / "Camera_0" / f"rgb_{frame}.jpg"
        if not rgb.is_file() and rgb.with_suffix(".png").is_file():
            rgb = rgb.with_suffix(".png")
        return rgb, frames / "depth" / "Camera_0" / f"depth_{frame}.png"

    def entries(self) -> list[str]:
        found = []
        for depth in sorted(self.root.glob("Scene*/*/frames/depth/Camera_0/depth_*.png")):
            variant_dir = depth.parents[3]
            if not self._keep(variant_dir.name):
                continue
            entry = f"{variant_dir.parent.name}/{variant_dir.name}/{depth.stem.removeprefix('depth_')}"
            if self._paths(entry)[0].is_file():
                found.append(entry)
        return found


def open_vkitti(root, variants=None, version: str | None = None) -> _VKittiBase:
    """Pick the reader by ``version`` ('1.3.1' or '2') or, if None, by the folder layout."""
    root = require_dir(Path(root), "the Virtual KITTI folder")
    if version is None:
        if (root / V1_RGB).is_dir() or (root / V1_DEPTH).is_dir():
            version = "1.3.1"
        elif any(root.glob("Scene*")):
            version = "2"
        else:
            raise DataError(
                f"{root}: neither {V1_RGB}/ + {V1_DEPTH}/ (vKITTI 1.3.1) nor Scene*/ folders (vKITTI 2) found"
            )
    if version == "1.3.1":
        return VKitti1Reader(root, variants)
    if version == "2":
        return VKitti2Reader(root, variants)
    raise DataError(f"Virtual KITTI version {version!r}; expected '1.3.1' or '2'")


def locate_vkitti(path: Path):
    path = Path(path)
    parts = path.parts
    if V1_RGB in parts or V1_DEPTH in parts:
        key = V1_RGB if V1_RGB in parts else V1_DEPTH
        i = parts.index(key)
        world, variant = parts[i + 1], parts[i + 2]
        return VKitti1Reader(Path(*parts[:i])), f"{world}/{variant}/{path.stem}"
    if "frames" in parts:
        i = parts.index("frames")
        number = path.stem.split("_")[-1]
        return VKitti2Reader(Path(*parts[: i - 2])), f"{parts[i - 2]}/{parts[i - 1]}/{number}"
    raise DataError(f"{path}: not inside a Virtual KITTI 1.3.1 or 2 folder layout")
