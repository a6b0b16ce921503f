"""KITTI: raw RGB + annotated depth (uint16, metres = value / 256, 0 = invalid).

Layouts (found automatically):
- KITTI raw + depth benchmark (the official downloads): RGB ``ROOT/<date>/<drive>/image_02/data/<frame>.png``;
  depth ``DEPTH_ROOT/{train,val}/<drive>/proj_depth/groundtruth/image_02/<frame>.png``. Without an explicit
  DEPTH_ROOT, the first of ROOT, ``ROOT/data_depth_annotated`` and ``ROOT/../data_depth_annotated`` that holds
  ``train/`` or ``val/`` is used (the depth benchmark unpacks into ``data_depth_annotated/``);
  ``ROOT/<date>/<drive>/proj_depth/...`` is also accepted;
- paired folders: ``ROOT/rgb/<name>.png`` with ``ROOT/depth/<name>.png``.

Entries are Eigen-style lines ``<date>/<drive> <frame> [l|r]`` (l = image_02,
r = image_03), or ``<name>`` for paired folders. Names are ``<drive>_<frame>``
(the drive name contains the date) or ``<name>``. The training pool (``entries``) is the left
colour camera only: the paper samples KITTI frames, and image_03 holds the same moments seen
from 54 cm to the right, not other frames (a right image is read only when an entry names it).

``test_lidar=True`` (the test split under the kitti-eigen-lidar protocols): a frame without
annotated depth reads with an all-invalid map (that protocol's ground truth is the frame's
projected LiDAR, ``lidar_depth``; the annotated map stays for the kitti-standard protocol).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.data.readers.base import (
    DepthRange, Reader, Record, check_depth_range, check_pair, count_files, describe_folder, read_depth_png,
    read_rgb, require_dir,
)
from arc.data.readers.kitti_lidar import lidar_depth
from arc.errors import DataError

KITTI_DEPTH_SCALE = 1.0 / 256.0
KITTI_RANGE = DepthRange(median_min=1.0, median_max=120.0)
KITTI_UNIT = "uint16 metres * 256 (metres = value / 256)"
_SIDES = {"l": "image_02", "r": "image_03"}
ANNOTATED_DIR = "data_depth_annotated"


def kitti_depth_from_png(path) -> np.ndarray:
    depth = read_depth_png(path).astype(np.float32) * KITTI_DEPTH_SCALE
    check_depth_range(depth, KITTI_RANGE, path, KITTI_UNIT)
    return depth


class KittiReader(Reader):
    dataset = "kitti"
    family = "outdoor"
    domain = "real"
    max_depth = 80.0

    def __init__(self, root, depth_root=None, test_lidar: bool = False):
        self.test_lidar = test_lidar
        self.root = require_dir(Path(root), "the KITTI raw folder (<date>/<drive>/image_02/data) or rgb/ + depth/")
        if depth_root:
            self.depth_root = require_dir(
                Path(depth_root), "the KITTI depth benchmark folder ({train,val}/<drive>/proj_depth/groundtruth)")
        else:
            self.depth_root = find_depth_root(self.root)
        self.paired = (self.root / "rgb").is_dir() and (self.root / "depth").is_dir()

    @property
    def layout(self) -> str:
        if self.paired:
            return "KITTI pairs rgb/<name>.png with depth/<name>.png (uint16, metres = value / 256)"
        return (f"KITTI raw RGB <date>/<drive>_sync/image_02/data/<frame>.png under {self.root} and annotated depth "
                f"{{train,val}}/<drive>_sync/proj_depth/groundtruth/image_02/<frame>.png under the depth benchmark "
                f"folder ({ANNOTATED_DIR}/ inside or beside the raw folder, or give --depth-root / data.kitti.depth_root; "
                f"now {self.depth_root})")

    def survey(self) -> str:
        if self.paired:
            return (f"{count_files(self.root / 'rgb', '*.png')} PNG(s) in rgb/ and "
                    f"{count_files(self.root / 'depth', '*.png')} in depth/, none with the same name in both")
        drives = sorted({p.parent.parent.name for p in self.root.glob("*/*/image_02/data")})
        rgb = count_files(self.root, "*/*/image_02/data/*.png")
        depth = sum(count_files(self.depth_root, f"{sub}/*/proj_depth/groundtruth/image_02/*.png")
                    for sub in ("train", "val"))
        depth += count_files(self.root, "*/*/proj_depth/groundtruth/image_02/*.png")
        shown = ", ".join(drives[:3]) + (", ..." if len(drives) > 3 else "")
        text = (f"{rgb} raw RGB frame(s) in {len(drives)} drive(s){f' ({shown})' if drives else ''} and "
                f"{depth} annotated depth PNG(s) under {self.depth_root}")
        if not drives and not depth:
            text += f" ({describe_folder(self.root)})"
        elif rgb and depth:
            text += ", but no frame has both (do the drive names and frame numbers match?)"
        return text

    # --- entries ----------------------------------------------------------------------------
    def parse_entry(self, line: str) -> str:
        fields = line.split()
        if self.paired:
            if len(fields) != 1:
                raise DataError(f"KITTI entry {line.strip()!r}: expected one file name for the rgb/ + depth/ layout")
            return Path(fields[0]).stem
        if len(fields) not in (2, 3) or "/" not in fields[0] or not fields[1].isdigit():
            raise DataError(f"KITTI entry {line.strip()!r}: expected '<date>/<drive>_sync <frame> [l|r]'")
        side = fields[2] if len(fields) == 3 else "l"
        if side not in _SIDES:
            raise DataError(f"KITTI entry {line.strip()!r}: side {side!r}; expected 'l' or 'r'")
        return f"{fields[0].strip('/')} {int(fields[1]):010d} {side}"

    def scene_of(self, entry: str) -> str:
        return entry if self.paired else entry.split()[0]

    def entries(self) -> list[str]:
        """Every left-camera frame (image_02) with both RGB and annotated depth, sorted by drive and frame."""
        if self.paired:
            return [p.stem for p in sorted((self.root / "rgb").glob("*.png")) if (self.root / "depth" / p.name).is_file()]
        found = []
        for data_dir in sorted(self.root.glob(f"*/*/{_SIDES['l']}/data")):
            drive_dir = data_dir.parent.parent
            for rgb in sorted(data_dir.glob("*.png")):
                entry = f"{drive_dir.parent.name}/{drive_dir.name} {rgb.stem} l"
                if self._depth_path(entry, must_exist=False) is not None:
                    found.append(entry)
        return found

    def has_annotated_depth(self, entry: str) -> bool:
        return self._depth_path(self.parse_entry(entry), must_exist=False) is not None

    def rgb_path(self, entry: str) -> Path:
        return self._rgb_path(self.parse_entry(entry))

    def lidar_depth(self, entry: str) -> np.ndarray:
        """The frame's raw LiDAR projected into its camera at full resolution (kitti_lidar.py)."""
        if self.paired:
            raise DataError(f"KITTI entry {entry!r}: the rgb/ + depth/ layout has no raw LiDAR; expected the raw "
                            "download's <date>/<drive>/velodyne_points and calibration files")
        drive, frame, side = self.parse_entry(entry).split()
        return lidar_depth(self.root, drive, frame, side)

    # --- files ------------------------------------------------------------------------------
    def _rgb_path(self, entry: str) -> Path:
        if self.paired:
            return self.root / "rgb" / f"{entry}.png"
        drive, frame, side = entry.split()
        return self.root / drive / _SIDES[side] / "data" / f"{frame}.png"

    def _depth_path(self, entry: str, must_exist: bool = True) -> Path | None:
        if self.paired:
            return self.root / "depth" / f"{entry}.png"
        drive, frame, side = entry.split()
        drive_name = drive.split("/")[-1]
        tail = Path("proj_depth") / "groundtruth" / _SIDES[side] / f"{frame}.png"
        candidates = [self.depth_root / sub / drive_name / tail for sub in ("train", "val")]
        candidates += [self.depth_root / drive_name / tail, self.root / drive / tail]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        if not must_exist:
            return None
        raise DataError(
            f"KITTI entry '{entry}': annotated depth {candidates[0]} not found (also looked in "
            f"{', '.join(str(c.parent) for c in candidates[1:])}); expected the KITTI depth benchmark's "
            "proj_depth/groundtruth file for this frame"
        )

    def read(self, entry: str) -> Record:
        entry = self.parse_entry(entry)
        rgb_path = self._rgb_path(entry)
        depth_path = self._depth_path(entry, must_exist=not self.test_lidar)
        rgb = read_rgb(rgb_path)
        if depth_path is None:  # a test frame the depth benchmark does not annotate: nothing valid
            depth_path, depth = rgb_path, np.zeros(rgb.shape[:2], np.float32)
        else:
            depth = kitti_depth_from_png(depth_path)
        if self.paired:
            name = entry
        else:
            drive, frame, side = entry.split()
            name = f"{drive.split('/')[-1]}_{frame}" + ("" if side == "l" else "_r")
        check_pair(name, rgb, depth, rgb_path, depth_path)
        return Record(name, rgb, depth)

    @classmethod
    def locate(cls, path: Path):
        path = Path(path)
        if path.parent.name in ("rgb", "depth"):
            return cls(path.parent.parent), path.stem
        if path.parent.name == "data" and path.parent.parent.name in ("image_02", "image_03"):
            drive_dir = path.parent.parent.parent
            side = "l" if path.parent.parent.name == "image_02" else "r"
            return cls(drive_dir.parent.parent), f"{drive_dir.parent.name}/{drive_dir.name} {path.stem} {side}"
        raise DataError(
            f"{path}: expected a KITTI RGB file <date>/<drive>/image_02/data/<frame>.png or a file in rgb/ or depth/; "
            "for annotated depth give the raw root and --depth-root"
        )


def find_depth_root(raw_root: Path) -> Path:
    """Where the annotated depth of a KITTI raw folder is: the folder itself, or the depth
    benchmark's ``data_depth_annotated/`` inside or beside it (the first that holds train/ or val/)."""
    for candidate in (raw_root, raw_root / ANNOTATED_DIR, raw_root.parent / ANNOTATED_DIR):
        if (candidate / "train").is_dir() or (candidate / "val").is_dir():
            return candidate
    return raw_root
