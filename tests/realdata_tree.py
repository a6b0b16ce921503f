"""Dataset folders in the official layouts, built from the real sample files.

The real samples (tests/fixtures/realdata: NYU sync and UniDepth pairs, a PBRS pair, KITTI pairs;
data/splits: the Eigen test list; tests/fixtures/realdata/splits: NYU's splits.mat and an excerpt of
BTS's training list) are placed at the paths the official downloads use, as symbolic links, so a
folder holds hundreds of frames for no disk space. Where no public sample exists, a writer makes the
file in the exact official format:

- the NYU labelled set ``nyu_depth_v2_labeled.mat``: MATLAB v7.3 (HDF5 with the 512-byte MATLAB
  header), ``images`` (N, 3, W, H) uint8 and ``depths`` (N, W, H) float32 metres, i.e. transposed;
- Virtual KITTI 1.3.1 depth: uint16 centimetres, 65535 = sky/far;
- KITTI raw Velodyne scans (``velodyne_points/data/<frame>.bin``, float32 x, y, z, reflectance): no public
  raw scan is available (tests/fixtures/kitti_raw_calib/PROVENANCE.md), so each scan is the frame's real
  annotated depth, one valid pixel in five (~18,000 points in the image, as a real scan has), lifted into
  Velodyne coordinates through the real 2011_09_26 calibration (committed there); projecting it back
  gives those pixels of the annotated map again.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "realdata"
KITTI_CALIB = Path(__file__).parent / "fixtures" / "kitti_raw_calib" / "2011_09_26"
NYU_SPLITS_MAT = FIXTURES / "splits" / "nyu_splits.mat"
NYU_POOL_EXCERPT = FIXTURES / "splits" / "nyu_train_files_with_gt_excerpt.txt"
EIGEN_TEST = REPO / "data" / "splits" / "kitti_eigen_test.txt"
NYU_LABELED_COUNT = 1449
VKITTI_VARIANTS = ("clone", "15-deg-left", "15-deg-right", "30-deg-left", "30-deg-right")


def _link(target: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target.resolve(), path)


# --- writers for files with no public sample -------------------------------------------------
def write_nyu_labeled_mat(path: Path, frames: dict[int, tuple[np.ndarray, np.ndarray]],
                          count: int = NYU_LABELED_COUNT, fill_depth_m: float = 2.5, fill_grey: int = 128) -> Path:
    """``nyu_depth_v2_labeled.mat`` in the official layout: MATLAB v7.3, arrays stored transposed.

    ``frames`` maps a 1-based index to (RGB uint8 HxWx3, depth float32 metres HxW). The other
    frames are never written: HDF5 returns its fill value for them (a flat grey wall at
    ``fill_depth_m``), which keeps a full 1,449-frame file at a few MB.
    """
    import h5py

    height, width = next(iter(frames.values()))[1].shape if frames else (480, 640)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w", userblock_size=512) as f:
        images = f.create_dataset("images", shape=(count, 3, width, height), dtype=np.uint8,
                                  chunks=(1, 3, width, height), compression="gzip", fillvalue=fill_grey)
        depths = f.create_dataset("depths", shape=(count, width, height), dtype=np.float32,
                                  chunks=(1, width, height), compression="gzip", fillvalue=fill_depth_m)
        images.attrs["MATLAB_class"] = np.bytes_("uint8")
        depths.attrs["MATLAB_class"] = np.bytes_("single")
        for index, (rgb, depth) in frames.items():
            images[index - 1] = rgb.transpose(2, 1, 0)  # (H, W, 3) -> (3, W, H)
            depths[index - 1] = depth.T.astype(np.float32)
    with open(path, "r+b") as fh:  # MATLAB's text header in the user block
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2012 HDF5 schema 1.00 .")
    return path


def write_vkitti_depth(path: Path, metres: np.ndarray) -> Path:
    """Virtual KITTI depth PNG: uint16 centimetres, +inf (sky) written as the far code 65535."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cm = np.where(np.isinf(metres), 65535, np.minimum(np.round(metres * 100), 65534)).astype(np.uint16)
    assert cv2.imwrite(str(path), cm)
    return path


def write_velodyne_scan(path: Path, depth_m: np.ndarray, calib_dir: Path = KITTI_CALIB) -> Path:
    """A Velodyne scan whose projection into image_02 (arc/data/readers/kitti_lidar.py) is ``depth_m``:
    every valid pixel (row r, col c, depth d) becomes the point X with P @ X = d * (c + 1, r + 1, 1),
    P the calibration's Velodyne -> image_02 matrix (+1: the scripts' 1-based pixel convention)."""
    from arc.data.readers.kitti_lidar import CAM_TO_CAM, VELO_TO_CAM, velo_to_image

    matrix, _ = velo_to_image(calib_dir / CAM_TO_CAM, calib_dir / VELO_TO_CAM, camera=2)
    rows, cols = np.nonzero(depth_m > 0)
    d = depth_m[rows, cols].astype(np.float64)
    pixels = np.stack([d * (cols + 1), d * (rows + 1), d])  # 3 x N homogeneous pixels
    xyz = np.linalg.solve(matrix[:, :3], pixels - matrix[:, 3:]).T
    scan = np.concatenate([xyz, np.full((len(d), 1), 0.5)], axis=1).astype(np.float32)  # reflectance 0.5
    path.parent.mkdir(parents=True, exist_ok=True)
    scan.tofile(path)
    return path


def lidar_like(annotated_png: Path, keep_every: int = 5) -> np.ndarray:
    """A KITTI annotated depth map (metres) thinned to one valid pixel in ``keep_every`` (row-major): the
    depth benchmark's maps merge 11 scans, one raw scan holds about a fifth of their points."""
    depth = cv2.imread(str(annotated_png), cv2.IMREAD_UNCHANGED).astype(np.float32) / 256.0
    flat = depth.ravel()
    valid = np.flatnonzero(flat > 0)
    thinned = np.zeros_like(flat)
    thinned[valid[::keep_every]] = flat[valid[::keep_every]]
    return thinned.reshape(depth.shape)


def vkitti_road_depth(height: int, width: int, horizon: float = 0.38, far_wall_m: float = 200.0) -> np.ndarray:
    """A road seen from a car (camera 1.65 m high, f = 725 px): sky (+inf) above the horizon, a flat
    ground below it, depth falling towards the bottom rows, ending at a wall ``far_wall_m`` away."""
    rows = np.arange(height, dtype=np.float64)[:, None] - horizon * height
    ground = np.minimum(1.65 * 725.0 / np.maximum(rows, 1e-9), far_wall_m)
    return np.broadcast_to(np.where(rows > 0, ground, np.inf), (height, width)).copy()


# --- nyu-pbrs --------------------------------------------------------------------------------
def _nyu_pairs() -> list[tuple[Path, Path]]:
    pairs = [(FIXTURES / "nyu" / "rgb" / f"rgb_{n}.jpg", FIXTURES / "nyu" / "depth" / f"sync_depth_{n}.png")
             for n in ("00000", "00050", "00100")]
    return pairs + [(FIXTURES / "nyu_unidepth" / "rgb" / "rgb_00000.png",
                     FIXTURES / "nyu_unidepth" / "depth" / "sync_depth_00000.png")]


def nyu_pbrs_tree(root: Path, n_pbrs: int = 8, pool: Path = NYU_POOL_EXCERPT, only: set[str] | None = None) -> dict:
    """NYU raw/sync frames at the paths of the BTS list excerpt, the labelled .mat (its first test
    frames are the four real NYU pairs), NYU's official splits.mat, and PBRS in mlt_v2/depth_v2.
    ``only``: link just these lines of ``pool`` (a 24,231-line pool takes ~10 s to link in full).
    Returns the data.nyu / data.pbrs settings pointing at them."""
    from scipy.io import loadmat

    sync = root / "nyu_v2" / "sync"
    pairs = _nyu_pairs()[:3]  # the raw frames are JPEG; the UniDepth PNG goes into the labelled set
    for i, line in enumerate(pool.read_text().splitlines()):
        if only is not None and line.strip() not in only:
            continue
        rgb_rel, depth_rel = line.split()[:2]
        rgb, depth = pairs[i % len(pairs)]
        _link(rgb, sync / rgb_rel.lstrip("/"))
        _link(depth, sync / depth_rel.lstrip("/"))

    test = loadmat(NYU_SPLITS_MAT)["testNdxs"].ravel().astype(int)
    frames = {}
    for index, (rgb, depth) in zip(test, _nyu_pairs()):
        image = cv2.imread(str(rgb), cv2.IMREAD_COLOR)[:, :, ::-1]
        metres = cv2.imread(str(depth), cv2.IMREAD_UNCHANGED).astype(np.float32) / 1000.0
        frames[int(index)] = (np.ascontiguousarray(image), metres)
    labeled = write_nyu_labeled_mat(root / "nyu_v2" / "nyu_depth_v2_labeled.mat", frames)

    pbrs = root / "pbrs"
    real_house = "0004d52d1aeeb8ae6de39d6bd993e992"
    houses = [real_house, "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "f0e1d2c3b4a5968778695a4b3c2d1e0f"]
    for i in range(n_pbrs):
        house, cam = houses[i % len(houses)], f"{i // len(houses):06d}"
        _link(FIXTURES / "pbrs" / "mlt_v2" / real_house / "000000_mlt.png", pbrs / "mlt_v2" / house / f"{cam}_mlt.png")
        _link(FIXTURES / "pbrs" / "depth_v2" / real_house / "000000_depth.png",
              pbrs / "depth_v2" / house / f"{cam}_depth.png")
    return {
        "nyu": {"raw_root": str(sync), "labeled_mat": str(labeled), "splits_mat": str(NYU_SPLITS_MAT),
                "train_pool_list": str(pool)},
        "pbrs": {"root": str(pbrs)},
        "real_test_frames": len(test),
    }


# --- kitti-vkitti ----------------------------------------------------------------------------
def eigen_frames_without_annotation(entries: list[str], count: int = 45) -> set[str]:
    """Which Eigen test frames the fixture leaves without annotated depth, ``count`` of them as in the
    standard download. The depth benchmark never annotates the first 5 frames of a drive (31 of the
    list); the rest of the real 45 are near drive ends, whose lengths are not here, so the last listed
    frame of each drive (by frame number) stands in for them."""
    parsed = [(e, e.split()[0], int(e.split()[1])) for e in entries]
    missing = [e for e, _, frame in parsed if frame < 5]
    last: dict[str, tuple[int, str]] = {}
    for e, drive, frame in parsed:
        if e not in missing and frame >= last.get(drive, (-1, ""))[0]:
            last[drive] = (frame, e)
    missing += [e for _, (_, e) in sorted(last.items())][: count - len(missing)]
    return set(missing)


def kitti_vkitti_tree(root: Path, train_drives: int = 2, frames_per_drive: int = 4, vkitti_frames: int = 2) -> dict:
    """KITTI raw (``kitti_raw/<date>/<drive>/image_0{2,3}/data``, both colour cameras) with the depth
    benchmark beside it (``data_depth_annotated/{train,val}/<drive>/proj_depth/groundtruth/image_0{2,3}``)
    for every Eigen test frame but 45, plus training drives; every test frame's Velodyne scan and each
    date's calibration files; Virtual KITTI 1.3.1 with the five variants."""
    raw, annotated = root / "kitti_raw", root / "data_depth_annotated"
    pairs = [(FIXTURES / "kitti" / "rgb" / name, FIXTURES / "kitti" / "depth" / name)
             for name in ("0000000005.png", "0000000050.png")]
    scans = [write_velodyne_scan(root / "velodyne_made" / f"{depth.stem}.bin", lidar_like(depth)) for _, depth in pairs]
    entries = [line for line in EIGEN_TEST.read_text().splitlines() if line.strip()]
    no_gt = eigen_frames_without_annotation(entries)
    for i, entry in enumerate(entries):
        drive_path, frame = entry.split()[:2]
        rgb, depth = pairs[i % len(pairs)]
        _link(rgb, raw / drive_path / "image_02" / "data" / f"{frame}.png")
        _link(scans[i % len(pairs)], raw / drive_path / "velodyne_points" / "data" / f"{frame}.bin")
        if entry not in no_gt:
            drive = drive_path.split("/")[1]
            _link(depth, annotated / "val" / drive / "proj_depth" / "groundtruth" / "image_02" / f"{frame}.png")
    # The real 2011_09_26 calibration stands in for every date's (the sample frames are all 1242x375).
    for date in sorted({e.split("/")[0] for e in entries} | {"2011_09_26"}):
        for calib in ("calib_cam_to_cam.txt", "calib_velo_to_cam.txt"):
            _link(KITTI_CALIB / calib, raw / date / calib)
    # Training drives: not in the Eigen test list (drive numbers it does not use), both cameras, as downloaded.
    for d in range(train_drives):
        drive = f"2011_09_26_drive_{1 + 10 * d:04d}_sync"
        for f in range(frames_per_drive):
            frame = f"{5 + f:010d}"
            rgb, depth = pairs[f % len(pairs)]
            for camera in ("image_02", "image_03"):
                _link(rgb, raw / "2011_09_26" / drive / camera / "data" / f"{frame}.png")
                _link(depth, annotated / "train" / drive / "proj_depth" / "groundtruth" / camera / f"{frame}.png")

    vkitti = root / "vkitti_1.3.1"
    depth = vkitti_road_depth(375, 1242)
    for variant in VKITTI_VARIANTS:
        for f in range(vkitti_frames):
            _link(pairs[f % len(pairs)][0], vkitti / "vkitti_1.3.1_rgb" / "0001" / variant / f"{f:05d}.png")
            write_vkitti_depth(vkitti / "vkitti_1.3.1_depthgt" / "0001" / variant / f"{f:05d}.png", depth)
    return {
        "kitti": {"root": str(raw), "test_list": str(EIGEN_TEST), "lidar_gt": True},
        "vkitti": {"root": str(vkitti), "version": "1.3.1", "variants": list(VKITTI_VARIANTS)},
        "listed": len(entries),
        "without_annotation": len(no_gt),
    }


# --- VGG weights -----------------------------------------------------------------------------
def write_vgg_features(path: Path, arch: str = "vgg16") -> Path:
    """A state_dict with torchvision's ``features.<i>.weight|bias`` keys and shapes for ``arch``
    (zeros: what `arc config validate` checks is the file's structure, not ImageNet's values)."""
    import torch
    from torchvision.models.vgg import cfgs
    from arc.preflight import VGG_CONFIGS

    state, index, channels = {}, 0, 3
    for item in cfgs[VGG_CONFIGS[arch]]:  # torchvision's indices: conv, ReLU per layer; one per pool
        if item == "M":
            index += 1
            continue
        state[f"features.{index}.weight"] = torch.zeros(int(item), channels, 3, 3)
        state[f"features.{index}.bias"] = torch.zeros(int(item))
        index, channels = index + 2, int(item)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path
