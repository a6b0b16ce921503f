"""Readers: real samples (tests/fixtures/realdata) and files written in the official layouts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from arc.data.readers import locate, open_reader, read_nyu_splits
from arc.data.readers.vkitti import VKitti1Reader, VKitti2Reader
from realdata_tree import write_nyu_labeled_mat, write_vkitti_depth

FIXTURES = Path(__file__).parent / "fixtures" / "realdata"


def _stats(depth):
    v = depth[depth > 0]
    return (depth > 0).mean(), v.min(), np.median(v), v.max()


# values measured independently by /work/shared/realdata/verify.py (see PROVENANCE.md)
@pytest.mark.parametrize(
    "dataset, root, name, expected",
    [
        ("nyu", "nyu", "00000", (0.733, 1.390, 3.258, 6.625)),
        ("nyu", "nyu", "00050", (0.751, 0.887, 3.208, 8.266)),
        ("nyu", "nyu", "00100", (0.670, 0.713, 2.479, 6.446)),
        ("nyu", "nyu_unidepth", "00000", (0.681, 1.653, 3.495, 10.000)),
        ("kitti", "kitti", "0000000005", (0.195, 5.332, 13.844, 84.895)),
        ("kitti", "kitti", "0000000050", (0.206, 5.203, 13.438, 83.230)),
        ("pbrs", "pbrs", "0004d52d1aeeb8ae6de39d6bd993e992_000000", (1.000, 1.466, 2.417, 3.557)),
    ],
)
def test_real_samples_decode_to_metres(dataset, root, name, expected):
    reader = open_reader(dataset, FIXTURES / root)
    records = {r.name: r for r in reader.records()}
    rec = records[name]
    assert rec.rgb.dtype == np.uint8 and rec.rgb.ndim == 3 and rec.rgb.shape[2] == 3
    assert rec.depth.dtype == np.float32 and rec.depth.shape == rec.rgb.shape[:2]
    np.testing.assert_allclose(_stats(rec.depth), expected, atol=2e-3)


def test_nyu_rgb_is_rgb_order_with_white_border():
    rec = open_reader("nyu", FIXTURES / "nyu").read("rgb/rgb_00050.jpg")
    assert rec.rgb.shape == (480, 640, 3)
    assert rec.rgb[:3, :, :].mean() > 200  # the white undistortion border the crop removes
    assert (rec.depth[:5] == 0).all()  # depth border is invalid


def test_locate_single_files():
    reader, entries = locate("nyu", FIXTURES / "nyu" / "depth" / "sync_depth_00100.png")
    assert reader.read(entries[0]).name == "00100"
    reader, entries = locate("kitti", FIXTURES / "kitti" / "rgb" / "0000000050.png")
    assert reader.read(entries[0]).name == "0000000050"
    pbrs_file = FIXTURES / "pbrs" / "mlt_v2" / "0004d52d1aeeb8ae6de39d6bd993e992" / "000000_mlt.png"
    reader, entries = locate("pbrs", pbrs_file)
    assert reader.read(entries[0]).depth.shape == (480, 640)


def test_nyu_bts_layout_and_bts_lines(tmp_path):
    scene = tmp_path / "kitchen_0028b"
    scene.mkdir()
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[..., 0] = 200  # red in RGB order
    cv2.imwrite(str(scene / "rgb_00045.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 100])
    cv2.imwrite(str(scene / "sync_depth_00045.png"), np.full((6, 8), 2500, np.uint16))
    reader = open_reader("nyu", tmp_path)
    assert reader.entries() == ["kitchen_0028b/rgb_00045.jpg kitchen_0028b/sync_depth_00045.png"]
    rec = reader.read("/kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png 518.8579")
    assert rec.name == "kitchen_0028b_00045"
    assert rec.rgb[..., 0].mean() > 190 and rec.rgb[..., 2].mean() < 10
    np.testing.assert_allclose(rec.depth, 2.5)


def test_nyu_labeled_mat_v73_reads_transposed_arrays(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 12, 16, 3), dtype=np.uint8)  # N, H, W, C
    depths = rng.uniform(0.7, 9.5, (3, 12, 16)).astype(np.float32)
    depths[1, :2] = 0.0
    path = tmp_path / "nyu_depth_v2_labeled.mat"
    write_nyu_labeled_mat(path, {i + 1: (images[i], depths[i]) for i in range(3)}, count=3)
    reader = open_reader("nyu-mat", path)
    assert reader.entries() == ["1", "2", "3"]
    rec = reader.read("2")
    assert rec.name == "labeled_00001"
    np.testing.assert_array_equal(rec.rgb, images[1])
    np.testing.assert_allclose(rec.depth, depths[1])
    reader.close()


def test_nyu_splits_mat(tmp_path):
    from scipy.io import savemat

    path = tmp_path / "splits.mat"
    savemat(path, {"trainNdxs": np.array([[3], [4], [5]], np.uint16), "testNdxs": np.array([[1], [2]], np.uint16)})
    splits = read_nyu_splits(path, count=5)
    assert splits["train"].tolist() == [3, 4, 5] and splits["test"].tolist() == [1, 2]


def test_official_nyu_splits_mat_from_shared_copy():
    shared = Path("/work/shared/realdata/splits/nyu_splits.mat")
    if not shared.is_file():
        pytest.skip("shared NYU splits.mat not present on this machine")
    splits = read_nyu_splits(shared)
    assert len(splits["test"]) == 654 and len(splits["train"]) == 795
    committed = Path(__file__).parents[1] / "data" / "splits" / "nyu_official_test_indices.txt"
    assert [int(x) for x in committed.read_text().split()] == splits["test"].tolist()


def _write_rgb(path: Path, h: int, w: int, ext_ok=True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((h, w, 3), 90, np.uint8))


def _depth_with_sky(h=6, w=10):
    depth = np.full((h, w), 12.34)
    depth[:2] = np.inf  # sky / far
    return depth


def test_vkitti_131_layout(tmp_path):
    for variant in ("clone", "fog"):
        for frame in ("00000", "00001"):
            _write_rgb(tmp_path / "vkitti_1.3.1_rgb" / "0001" / variant / f"{frame}.png", 6, 10)
            write_vkitti_depth(tmp_path / "vkitti_1.3.1_depthgt" / "0001" / variant / f"{frame}.png", _depth_with_sky())
    reader = open_reader("vkitti", tmp_path, variants=["clone"])
    assert isinstance(reader, VKitti1Reader)
    assert reader.entries() == ["0001/clone/00000", "0001/clone/00001"]
    rec = reader.read("0001/clone/1")
    assert rec.name == "0001_clone_00001"
    np.testing.assert_allclose(rec.depth[2:], 12.34, atol=1e-4)
    np.testing.assert_allclose(rec.depth[:2], 655.35, atol=1e-3)  # far code, clipped later by preprocess


def test_vkitti_2_layout(tmp_path):
    frames = tmp_path / "Scene01" / "15-deg-left" / "frames"
    _write_rgb(frames / "rgb" / "Camera_0" / "rgb_00007.jpg", 6, 10)
    write_vkitti_depth(frames / "depth" / "Camera_0" / "depth_00007.png", _depth_with_sky())
    reader = open_reader("vkitti", tmp_path)
    assert isinstance(reader, VKitti2Reader)
    assert reader.entries() == ["Scene01/15-deg-left/00007"]
    rec = reader.read(reader.entries()[0])
    assert rec.name == "Scene01_15-deg-left_00007" and rec.rgb.shape == (6, 10, 3)
    np.testing.assert_allclose(rec.depth[2:], 12.34, atol=1e-4)
    reader2, entries = locate("vkitti", frames / "depth" / "Camera_0" / "depth_00007.png")
    assert entries == ["Scene01/15-deg-left/00007"] and isinstance(reader2, VKitti2Reader)


def test_kitti_raw_layout_with_depth_benchmark(tmp_path):
    raw, ann = tmp_path / "raw", tmp_path / "annotated"
    drive = "2011_09_26_drive_0001_sync"
    for frame in (5, 6):
        _write_rgb(raw / "2011_09_26" / drive / "image_02" / "data" / f"{frame:010d}.png", 8, 12)
    depth = np.zeros((8, 12), np.uint16)
    depth[5:, ::3] = 20 * 256
    gt = ann / "train" / drive / "proj_depth" / "groundtruth" / "image_02"
    gt.mkdir(parents=True)
    cv2.imwrite(str(gt / "0000000005.png"), depth)  # frame 6 has no annotation
    reader = open_reader("kitti", raw, depth_root=ann)
    assert reader.entries() == [f"2011_09_26/{drive} 0000000005 l"]
    rec = reader.read(f"2011_09_26/{drive} 5 l")
    assert rec.name == f"{drive}_0000000005"
    np.testing.assert_allclose(rec.depth[rec.depth > 0], 20.0)


def test_synthrooms_reader_exposes_eval_extras(tmp_path):
    from arc.data.synthrooms import generate_benchmark

    generate_benchmark("indoor", tmp_path / "sr", height=16, width=24, counts={"syn_train": 2, "real_test": 2}, seed=0)
    syn = open_reader("synthrooms", tmp_path / "sr", split="syn_train").read("00001")
    assert syn.extras == {} and syn.depth.shape == (16, 24)
    real = open_reader("synthrooms", tmp_path / "sr", split="real_test").read("00000")
    assert set(real.extras) == {"clutter_mask", "clean_rgb", "clean_depth", "clutter_kind"}
    # every clutter pixel has a kind, and no clutter-free pixel has one
    np.testing.assert_array_equal(real.extras["clutter_kind"] > 0, real.extras["clutter_mask"] > 0)
    assert set(np.unique(real.extras["clutter_mask"])) <= {0, 1}
    outside = real.extras["clutter_mask"] == 0
    np.testing.assert_array_equal(real.depth[outside], real.extras["clean_depth"][outside])
    all_splits = open_reader("synthrooms", tmp_path / "sr")
    assert all_splits.entries() == ["syn_train/00000", "syn_train/00001", "real_test/00000", "real_test/00001"]
