"""NYU Depth v2 raw/"sync" frames: RGB JPEG/PNG + uint16 millimetre depth PNG.

Layouts (both are found automatically):
- BTS "sync" extraction: ``ROOT/<scene>/rgb_NNNNN.jpg`` with ``ROOT/<scene>/sync_depth_NNNNN.png``;
- two sibling folders: ``ROOT/rgb/rgb_NNNNN.jpg`` with ``ROOT/depth/sync_depth_NNNNN.png``.

Split-list entries are BTS lines (``/scene/rgb_N.jpg /scene/sync_depth_N.png 518.8579``),
a pair ``rgb depth``, or just the RGB path, relative to ROOT. Names are
``<scene>_<NNNNN>`` (``<NNNNN>`` in the sibling-folder layout).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from arc.data.readers.base import (
    DepthRange, Reader, Record, check_depth_range, check_pair, count_files, read_depth_png, read_rgb, require_dir,
)
from arc.errors import DataError

NYU_DEPTH_SCALE = 1.0 / 1000.0  # millimetres
# Kinect v1 sees up to ~10 m (10.0 m is a clip value in some exports); > 20 m means the unit is wrong.
NYU_RANGE = DepthRange(median_min=0.3, median_max=10.0, max_allowed=20.0)
NYU_UNIT = "uint16 millimetres (metres = value / 1000)"
_RGB_RE = re.compile(r"^rgb_(\d+)\.(jpg|jpeg|png)$", re.IGNORECASE)
_DEPTH_RE = re.compile(r"^sync_depth_(\d+)\.png$", re.IGNORECASE)


def nyu_depth_from_png(path) -> np.ndarray:
    depth = read_depth_png(path).astype(np.float32) * NYU_DEPTH_SCALE
    check_depth_range(depth, NYU_RANGE, path, NYU_UNIT)
    return depth


class NyuSyncReader(Reader):
    dataset = "nyu"
    family = "indoor"
    domain = "real"
    max_depth = 10.0
    layout = ("NYU raw/sync frames <scene>/rgb_NNNNN.jpg with <scene>/sync_depth_NNNNN.png (uint16 mm) beside it, "
              "or rgb/rgb_NNNNN.jpg with depth/sync_depth_NNNNN.png")

    def __init__(self, root):
        self.root = require_dir(Path(root), "the NYU raw/sync folder (<scene>/rgb_N.jpg + sync_depth_N.png)")

    def survey(self) -> str:
        rgb = sum(count_files(self.root, f"**/rgb_*.{ext}") for ext in ("jpg", "jpeg", "png"))
        depth = count_files(self.root, "**/sync_depth_*.png")
        if rgb or depth:
            return f"{rgb} rgb_* image(s) and {depth} sync_depth_*.png file(s), none of them a pair"
        return super().survey()

    # entries are "rgb_rel depth_rel" with '/' separators
    def parse_entry(self, line: str) -> str:
        fields = line.split()
        if not fields:
            raise DataError("empty NYU split-list line; expected 'rgb_path [depth_path [focal]]'")
        rgb = fields[0].lstrip("/")
        depth = fields[1].lstrip("/") if len(fields) > 1 and fields[1].endswith(".png") else self._depth_for(rgb)
        return f"{rgb} {depth}"

    @staticmethod
    def _depth_for(rgb_rel: str) -> str:
        folder, _, file = rgb_rel.rpartition("/")
        match = _RGB_RE.match(file)
        if not match:
            raise DataError(f"NYU entry {rgb_rel!r}: expected an RGB file named rgb_NNNNN.jpg")
        depth_file = f"sync_depth_{match.group(1)}.png"
        if folder == "rgb" or folder.endswith("/rgb"):
            folder = folder[:-3] + "depth"
        return f"{folder}/{depth_file}" if folder else depth_file

    def entries(self) -> list[str]:
        found = []
        for rgb in sorted(self.root.rglob("rgb_*")):
            if _RGB_RE.match(rgb.name):
                entry = self.parse_entry(rgb.relative_to(self.root).as_posix())
                if (self.root / entry.split()[1]).is_file():
                    found.append(entry)
        return found

    def scene_of(self, entry: str) -> str:
        folder = entry.split()[0].rpartition("/")[0]
        return folder or "."

    def name_of(self, entry: str) -> str:
        folder, _, file = entry.split()[0].rpartition("/")
        parts = [p for p in folder.split("/") if p]
        if parts and parts[-1] == "rgb":  # sibling-folder layout: the folder is not a scene
            parts = parts[:-1]
        number = _RGB_RE.match(file).group(1)
        return "_".join(parts + [number])

    def read(self, entry: str) -> Record:
        entry = self.parse_entry(entry)
        rgb_rel, depth_rel = entry.split()
        rgb_path, depth_path = self.root / rgb_rel, self.root / depth_rel
        rgb = read_rgb(rgb_path)
        depth = nyu_depth_from_png(depth_path)
        name = self.name_of(entry)
        check_pair(name, rgb, depth, rgb_path, depth_path)
        return Record(name, rgb, depth)

    @classmethod
    def locate(cls, path: Path):
        """(reader, entry) for a single RGB or depth file."""
        path = Path(path)
        m_rgb, m_depth = _RGB_RE.match(path.name), _DEPTH_RE.match(path.name)
        if not (m_rgb or m_depth):
            raise DataError(f"{path}: expected an NYU file named rgb_NNNNN.jpg or sync_depth_NNNNN.png")
        root = path.parent.parent
        folder = path.parent.name
        if m_rgb:
            return cls(root), f"{folder}/{path.name}"
        number = m_depth.group(1)
        rgb_folder = "rgb" if folder == "depth" else folder
        for ext in ("jpg", "png", "jpeg"):
            if (root / rgb_folder / f"rgb_{number}.{ext}").is_file():
                return cls(root), f"{rgb_folder}/rgb_{number}.{ext} {folder}/{path.name}"
        raise DataError(f"{path}: no RGB partner rgb_{number}.jpg found next to it or in {root / 'rgb'}")
