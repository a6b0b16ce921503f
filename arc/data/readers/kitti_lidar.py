"""KITTI raw LiDAR as ground-truth depth: the Eigen test split's ground truth in the comparison's protocol.

The Eigen split's evaluation (Eigen et al. 2014, Garg et al. 2016, SfMLearner, monodepth, monodepth2)
takes each test frame's Velodyne scan from the raw download, projects it into the rectified colour
camera and keeps, per pixel, the nearest return. Files of the raw download used here:

- ``<date>/<drive>/velodyne_points/data/<frame>.bin``: float32 rows (x, y, z, reflectance) in metres,
  Velodyne coordinates (x forward, y left, z up);
- ``<date>/calib_velo_to_cam.txt``: ``R`` (3x3) and ``T`` (3): Velodyne -> reference camera 0;
- ``<date>/calib_cam_to_cam.txt``: ``R_rect_00`` (rectification of camera 0), ``P_rect_02`` /
  ``P_rect_03`` (3x4 projection of the rectified left / right colour camera) and ``S_rect_02`` /
  ``S_rect_03`` (image width, height after rectification).

The depth of a point is the third homogeneous coordinate of ``P_rect @ R_rect_00 @ [R|T] @ (x, y, z, 1)``
(its distance along the rectified camera's optical axis, as the scripts above take it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arc.errors import DataError

VELODYNE_DIR = Path("velodyne_points") / "data"
CAM_TO_CAM = "calib_cam_to_cam.txt"
VELO_TO_CAM = "calib_velo_to_cam.txt"
CAMERAS = {"l": 2, "r": 3}  # the entry's side -> KITTI's colour camera index


def read_calib(path) -> dict[str, np.ndarray]:
    """A KITTI calibration file: ``key: v1 v2 ...`` lines; keys whose values are not numbers
    (``calib_time``) are left out."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found; expected the KITTI raw download's calibration file of this date")
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        if not sep:
            raise DataError(f"{path}, line {number}: {line.strip()!r}; expected 'key: value ...'")
        try:
            values[key.strip()] = np.array([float(v) for v in rest.split()], dtype=np.float64)
        except ValueError:
            continue  # calib_time: a date
    return values


def _matrix(calib: dict, key: str, shape: tuple[int, int], path) -> np.ndarray:
    value = calib.get(key)
    if value is None or value.size != shape[0] * shape[1]:
        found = "absent" if value is None else f"{value.size} numbers"
        raise DataError(f"{path}: key '{key}' is {found}; expected {shape[0] * shape[1]} numbers ({shape[0]}x{shape[1]})")
    return value.reshape(shape)


def velo_to_image(cam_to_cam_path, velo_to_cam_path, camera: int = 2) -> tuple[np.ndarray, tuple[int, int]]:
    """(3x4 matrix taking homogeneous Velodyne points to homogeneous pixels of ``camera``, its image
    (height, width)), from the two calibration files of the raw download."""
    cam = read_calib(cam_to_cam_path)
    velo = read_calib(velo_to_cam_path)
    rigid = np.eye(4)
    rigid[:3, :3] = _matrix(velo, "R", (3, 3), velo_to_cam_path)
    rigid[:3, 3] = _matrix(velo, "T", (3, 1), velo_to_cam_path)[:, 0]
    rectify = np.eye(4)
    rectify[:3, :3] = _matrix(cam, "R_rect_00", (3, 3), cam_to_cam_path)
    projection = _matrix(cam, f"P_rect_{camera:02d}", (3, 4), cam_to_cam_path)
    width, height = _matrix(cam, f"S_rect_{camera:02d}", (1, 2), cam_to_cam_path)[0]
    return projection @ rectify @ rigid, (int(round(height)), int(round(width)))


def read_velodyne(path) -> np.ndarray:
    """The scan as an (N, 4) float32 array: x, y, z (metres, Velodyne frame), reflectance."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found; expected the raw download's Velodyne scan of this frame")
    size = path.stat().st_size
    if size == 0 or size % 16:
        raise DataError(f"{path}: {size} bytes; expected a KITTI Velodyne scan, rows of 4 float32 (16 bytes each)")
    return np.fromfile(path, dtype=np.float32).reshape(-1, 4)


def project_to_depth(points: np.ndarray, velo_to_pixels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Depth map (float32, metres, 0 = no return) of ``shape`` from Velodyne ``points`` (N x >= 3).

    Points behind the scanner (x < 0) are dropped, as in the Eigen-split scripts. Each point goes to the
    pixel its projection rounds to, less one: the scripts keep the 1-based pixel convention of KITTI's
    MATLAB devkit, and the published numbers were scored on those maps. Where several points land on
    one pixel, the nearest is kept.
    """
    height, width = shape
    points = np.asarray(points, dtype=np.float64)
    points = points[points[:, 0] >= 0]
    homogeneous = np.concatenate([points[:, :3], np.ones((len(points), 1))], axis=1)
    projected = homogeneous @ velo_to_pixels.T  # N x 3
    depth = projected[:, 2]
    ahead = depth > 0
    projected, depth = projected[ahead], depth[ahead]
    cols = np.round(projected[:, 0] / depth).astype(np.int64) - 1
    rows = np.round(projected[:, 1] / depth).astype(np.int64) - 1
    inside = (cols >= 0) & (rows >= 0) & (cols < width) & (rows < height)
    cols, rows, depth = cols[inside], rows[inside], depth[inside]
    out = np.full(height * width, np.inf)
    np.minimum.at(out, rows * width + cols, depth)  # the nearest point per pixel
    out[np.isinf(out)] = 0.0
    return out.reshape(height, width).astype(np.float32)


def lidar_files(raw_root, drive: str, frame: str) -> dict[str, Path]:
    """The raw-download files one frame's LiDAR ground truth is made from (``drive`` = ``<date>/<drive>``)."""
    raw_root = Path(raw_root)
    date = drive.split("/")[0]
    return {
        "velodyne": raw_root / drive / VELODYNE_DIR / f"{frame}.bin",
        "cam_to_cam": raw_root / date / CAM_TO_CAM,
        "velo_to_cam": raw_root / date / VELO_TO_CAM,
    }


def missing_lidar_files(raw_root, frames: list[tuple[str, str]]) -> list[Path]:
    """The files of ``frames`` (``(<date>/<drive>, frame)`` pairs) that are not there, each named once."""
    missing, seen = [], set()
    for drive, frame in frames:
        for path in lidar_files(raw_root, drive, frame).values():
            if path not in seen:
                seen.add(path)
                if not path.is_file():
                    missing.append(path)
    return missing


def lidar_depth(raw_root, drive: str, frame: str, side: str = "l") -> np.ndarray:
    """One frame's ground truth at the camera's full resolution: its scan projected into the rectified
    colour camera of ``side`` (``l`` = image_02, ``r`` = image_03)."""
    files = lidar_files(raw_root, drive, frame)
    matrix, shape = velo_to_image(files["cam_to_cam"], files["velo_to_cam"], CAMERAS[side])
    return project_to_depth(read_velodyne(files["velodyne"]), matrix, shape)
