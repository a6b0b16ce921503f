"""KITTI raw LiDAR -> full-resolution ground truth (arc/data/readers/kitti_lidar.py), the cache's sparse
store of it, and the KITTI training pool's camera."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import realdata_tree
from arc.data.readers.kitti_lidar import lidar_depth, missing_lidar_files, read_velodyne, velo_to_image
from arc.errors import DataError

DRIVE = "2011_09_26/2011_09_26_drive_0001_sync"

# A camera 10 px wide, 6 px high, f = 100 px, principal point (5, 3); the Velodyne axes (x forward,
# y left, z up) turned into the camera's (x right, y down, z forward), no offset; no rectification.
_CAM_TO_CAM = """calib_time: 09-Jan-2012 13:57:47
R_rect_00: 1 0 0 0 1 0 0 0 1
S_rect_02: 10 6
P_rect_02: 100 0 5 0 0 100 3 0 0 0 1 0
"""
_VELO_TO_CAM = """calib_time: 15-Mar-2012 11:37:16
R: 0 -1 0 0 0 -1 1 0 0
T: {t}
"""


def _raw_tree(root: Path, points, t="0 0 0") -> Path:
    date = root / DRIVE.split("/")[0]
    date.mkdir(parents=True)
    (date / "calib_cam_to_cam.txt").write_text(_CAM_TO_CAM)
    (date / "calib_velo_to_cam.txt").write_text(_VELO_TO_CAM.format(t=t))
    scan = root / DRIVE / "velodyne_points" / "data" / "0000000007.bin"
    scan.parent.mkdir(parents=True)
    np.asarray([[*p, 0.3] for p in points], dtype=np.float32).tofile(scan)
    return root


def test_projection_matches_the_hand_computed_map(tmp_path):
    points = [
        (10.0, 0.0, 0.0),     # camera (0, 0, 10): pixel (u, v) = (5, 3) -> col 4, row 2 (1-based -> 0-based), 10 m
        (20.0, 0.0, 0.0),     # the same pixel, farther: the nearest (10 m) is kept
        (4.0, -0.12, -0.04),  # camera (0.12, 0.04, 4): u = 100 * 0.12 / 4 + 5 = 8, v = 100 * 0.04 / 4 + 3 = 4 -> col 7, row 3
        (2.0, 0.02, 0.04),    # camera (-0.02, -0.04, 2): u = -1 + 5 = 4, v = -2 + 3 = 1 -> col 3, row 0
        (2.0, 0.02, 0.06),    # v = -3 + 3 = 0 -> row -1: outside
        (10.0, -1.0, 0.0),    # u = 10 + 5 = 15 -> col 14 >= 10: outside
        (-5.0, 0.0, 0.0),     # behind the scanner: dropped
    ]
    depth = lidar_depth(_raw_tree(tmp_path, points), DRIVE, "0000000007")
    expected = np.zeros((6, 10), np.float32)
    expected[2, 4], expected[3, 7], expected[0, 3] = 10.0, 4.0, 2.0
    np.testing.assert_array_equal(depth, expected)


def test_depth_is_the_rectified_camera_z_after_the_velodyne_offset(tmp_path):
    # T moves the point 1 m further along the camera's z: (10, 0, 0) -> camera (0, 0, 11), still at (5, 3)
    depth = lidar_depth(_raw_tree(tmp_path, [(10.0, 0.0, 0.0)], t="0 0 1"), DRIVE, "0000000007")
    assert depth[2, 4] == pytest.approx(11.0) and np.count_nonzero(depth) == 1


def test_real_calibration_maps_a_lifted_annotated_frame_back_onto_itself(tmp_path):
    """The real 2011_09_26 calibration (fixture): a scan made from a real annotated KITTI frame by the
    inverse of the projection reprojects onto the same pixels and depths, at the full 375 x 1242."""
    calib = realdata_tree.KITTI_CALIB
    matrix, shape = velo_to_image(calib / "calib_cam_to_cam.txt", calib / "calib_velo_to_cam.txt")
    assert shape == (375, 1242)
    # P_rect_02 @ R_rect_00 @ [R|T] by hand for the first row's first entry and the translation column
    assert matrix[2, 3] == pytest.approx(
        np.array([7.402527e-03, 4.351614e-03, 9.999631e-01]) @ np.array([-4.069766e-03, -7.631618e-02, -2.717806e-01])
        + 2.745884e-03, abs=1e-9)
    annotated = cv2.imread(str(realdata_tree.FIXTURES / "kitti" / "depth" / "0000000005.png"),
                           cv2.IMREAD_UNCHANGED).astype(np.float32) / 256.0
    raw = tmp_path / "raw"
    realdata_tree.write_velodyne_scan(raw / DRIVE / "velodyne_points" / "data" / "0000000005.bin", annotated)
    for name in ("calib_cam_to_cam.txt", "calib_velo_to_cam.txt"):
        (raw / "2011_09_26" / name).write_bytes((calib / name).read_bytes())
    scan = read_velodyne(raw / DRIVE / "velodyne_points" / "data" / "0000000005.bin")
    assert scan.shape == (np.count_nonzero(annotated), 4) and (scan[:, 0] > 0).all()  # all in front of the car
    depth = lidar_depth(raw, DRIVE, "0000000005")
    np.testing.assert_array_equal(depth > 0, annotated > 0)
    np.testing.assert_allclose(depth, annotated, atol=1e-4)


def test_bad_files_are_named(tmp_path):
    root = _raw_tree(tmp_path, [(10.0, 0.0, 0.0)])
    scan = root / DRIVE / "velodyne_points" / "data" / "0000000007.bin"
    scan.write_bytes(b"\0" * 20)
    with pytest.raises(DataError, match=r"0000000007\.bin: 20 bytes; expected a KITTI Velodyne scan"):
        lidar_depth(root, DRIVE, "0000000007")
    (root / "2011_09_26" / "calib_cam_to_cam.txt").write_text("R_rect_00: 1 0 0 0 1 0 0 0 1\nS_rect_02: 10 6\n")
    with pytest.raises(DataError, match=r"calib_cam_to_cam\.txt: key 'P_rect_02' is absent; expected 12 numbers"):
        lidar_depth(root, DRIVE, "0000000007")
    (root / "2011_09_26" / "calib_velo_to_cam.txt").unlink()
    missing = missing_lidar_files(root, [(DRIVE, "0000000007"), (DRIVE, "0000000008")])
    assert missing == [root / "2011_09_26" / "calib_velo_to_cam.txt",
                       root / DRIVE / "velodyne_points" / "data" / "0000000008.bin"]


def test_sparse_store_round_trips_maps_of_different_sizes(tmp_path):
    from arc.data.cache import SparseDepthMaps

    rng = np.random.default_rng(0)
    maps = [np.where(rng.random(shape) < 0.1, rng.uniform(1, 80, shape), 0).astype(np.float32)
            for shape in ((375, 1242), (370, 1224), (5, 7))]
    maps.append(np.zeros((4, 4), np.float32))  # a frame with no return
    store = SparseDepthMaps()
    for m in maps:
        store.add(m)
    store.save(tmp_path / "full_gt.npz")
    loaded = SparseDepthMaps.load(tmp_path / "full_gt.npz", len(maps))
    for i, m in enumerate(maps):
        np.testing.assert_array_equal(loaded.dense(i), m)
    with pytest.raises(DataError, match="4 maps; expected 5"):
        SparseDepthMaps.load(tmp_path / "full_gt.npz", 5)
