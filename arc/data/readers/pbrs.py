"""PBRS (SUNCG rendered with Mitsuba): ``mlt_v2/<house>/<cam>_mlt.png`` + ``depth_v2/<house>/<cam>_depth.png``.

Depth is uint16 millimetres of z-depth, 0 = invalid. Entries are ``<house>/<cam>``;
names ``<house>_<cam>``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.data.readers.base import (
    DepthRange, Reader, Record, check_depth_range, check_pair, count_files, read_depth_png, read_rgb, require_dir,
)
from arc.errors import DataError

PBRS_DEPTH_SCALE = 1.0 / 1000.0
PBRS_RANGE = DepthRange(median_min=0.3, median_max=20.0)
PBRS_UNIT = "uint16 millimetres of z-depth (metres = value / 1000)"


def pbrs_depth_from_png(path) -> np.ndarray:
    depth = read_depth_png(path).astype(np.float32) * PBRS_DEPTH_SCALE
    check_depth_range(depth, PBRS_RANGE, path, PBRS_UNIT)
    return depth


class PbrsReader(Reader):
    dataset = "pbrs"
    family = "indoor"
    domain = "synthetic"
    max_depth = 10.0
    layout = "PBRS mlt_v2/<house>/<cam>_mlt.png with depth_v2/<house>/<cam>_depth.png (uint16 mm)"

    def survey(self) -> str:
        rgb = count_files(self.root / "mlt_v2", "*/*_mlt.png")
        depth = count_files(self.root / "depth_v2", "*/*_depth.png")
        return f"{rgb} mlt_v2/<house>/*_mlt.png and {depth} depth_v2/<house>/*_depth.png file(s), none of them a pair"

    def __init__(self, root):
        self.root = require_dir(Path(root), "the PBRS folder holding mlt_v2/ and depth_v2/")
        for sub in ("mlt_v2", "depth_v2"):
            require_dir(self.root / sub, f"PBRS's {sub}/<house>/ folders inside {self.root}")

    def parse_entry(self, line: str) -> str:
        text = line.strip().strip("/")
        parts = text.split("/")
        if len(parts) != 2 or not all(parts):
            raise DataError(f"PBRS entry {text!r}: expected '<house>/<camera>' (e.g. 0004d52d.../000000)")
        house, cam = parts
        for suffix in ("_mlt.png", "_depth.png"):
            cam = cam.removesuffix(suffix)
        return f"{house}/{cam}"

    def entries(self) -> list[str]:
        found = []
        for rgb in sorted((self.root / "mlt_v2").glob("*/*_mlt.png")):
            house, cam = rgb.parent.name, rgb.name.removesuffix("_mlt.png")
            if (self.root / "depth_v2" / house / f"{cam}_depth.png").is_file():
                found.append(f"{house}/{cam}")
        return found

    def scene_of(self, entry: str) -> str:
        return entry.split("/")[0]

    def read(self, entry: str) -> Record:
        house, cam = self.parse_entry(entry).split("/")
        rgb_path = self.root / "mlt_v2" / house / f"{cam}_mlt.png"
        depth_path = self.root / "depth_v2" / house / f"{cam}_depth.png"
        rgb = read_rgb(rgb_path)
        depth = pbrs_depth_from_png(depth_path)
        name = f"{house}_{cam}"
        check_pair(name, rgb, depth, rgb_path, depth_path)
        return Record(name, rgb, depth)

    @classmethod
    def locate(cls, path: Path):
        path = Path(path)
        kind = path.parent.parent.name
        if kind not in ("mlt_v2", "depth_v2") or not path.name.endswith(("_mlt.png", "_depth.png")):
            raise DataError(f"{path}: expected a PBRS file mlt_v2/<house>/<cam>_mlt.png or depth_v2/<house>/<cam>_depth.png")
        return cls(path.parent.parent.parent), f"{path.parent.name}/{path.name}"
