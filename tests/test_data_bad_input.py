"""Bad input stops with one DataError naming the file and what was expected; nothing half-written stays."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from arc.data.cache import build_cache, open_cache
from arc.data.readers import open_reader
from arc.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "realdata"


@pytest.fixture
def nyu_copy(tmp_path):
    root = tmp_path / "nyu"
    shutil.copytree(FIXTURES / "nyu", root)
    return root


def test_missing_dataset_root(tmp_path):
    for dataset in ("nyu", "pbrs", "kitti", "vkitti", "synthrooms", "nyu-mat"):
        with pytest.raises(DataError, match=str(tmp_path / "nope")):
            open_reader(dataset, tmp_path / "nope")


def test_file_missing_from_split_list_and_nothing_half_written(nyu_copy, tmp_path):
    (tmp_path / "list.txt").write_text("rgb/rgb_00000.jpg\nrgb/rgb_00077.jpg\n")
    out = tmp_path / "cache" / "bench" / "real_train"
    with pytest.raises(DataError, match=r"rgb_00077\.jpg: not found"):
        build_cache("nyu", nyu_copy, out, list_path=tmp_path / "list.txt", height=12, width=16)
    assert not (tmp_path / "cache" / "bench").exists() or not any((tmp_path / "cache" / "bench").iterdir())


def test_failed_rebuild_keeps_the_previous_cache(nyu_copy, tmp_path):
    out = tmp_path / "cache" / "bench" / "real_train"
    build_cache("nyu", nyu_copy, out, height=12, width=16)
    (nyu_copy / "depth" / "sync_depth_00050.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError, match=r"sync_depth_00050\.png: corrupt"):
        build_cache("nyu", nyu_copy, out, height=12, width=16)
    assert len(open_cache(out)) == 3
    assert sorted(p.name for p in out.parent.iterdir()) == ["real_train"]


def test_corrupt_png(nyu_copy):
    path = nyu_copy / "rgb" / "rgb_00000.jpg"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match=r"rgb_00000\.jpg: corrupt or not an image"):
        open_reader("nyu", nyu_copy).read("rgb/rgb_00000.jpg")


def test_depth_in_the_wrong_unit(nyu_copy, tmp_path):
    # NYU depth saved as 0.1 mm units -> above 20 m when read as millimetres
    path = nyu_copy / "depth" / "sync_depth_00000.png"
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), np.minimum(raw.astype(np.int64) * 10, 65535).astype(np.uint16))
    with pytest.raises(DataError, match=r"sync_depth_00000\.png: depth reaches .* above the 20 m"):
        open_reader("nyu", nyu_copy).read("rgb/rgb_00000.jpg")
    # metres stored as integers -> median far below a plausible room
    cv2.imwrite(str(path), np.where(raw > 0, np.round(raw / 1000.0), 0).astype(np.uint16))
    with pytest.raises(DataError, match="median depth .* plausible"):
        open_reader("nyu", nyu_copy).read("rgb/rgb_00000.jpg")
    # an 8-bit visualisation instead of 16-bit depth
    cv2.imwrite(str(path), (raw // 40).astype(np.uint8))
    with pytest.raises(DataError, match="expected a single-channel 16-bit depth PNG"):
        open_reader("nyu", nyu_copy).read("rgb/rgb_00000.jpg")


def test_nyu_labeled_mat_in_millimetres(tmp_path):
    import h5py

    path = tmp_path / "labeled.mat"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((1, 3, 8, 6), np.uint8))
        f.create_dataset("depths", data=np.full((1, 8, 6), 2500.0, np.float32))  # mm, not metres
    with pytest.raises(DataError, match=r"labeled\.mat \(frame 1\): depth reaches 2500\.0 m"):
        open_reader("nyu-mat", path).read("1")


def test_split_list_index_out_of_range(tmp_path):
    import h5py

    path = tmp_path / "labeled.mat"
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=np.zeros((2, 3, 8, 6), np.uint8))
        f.create_dataset("depths", data=np.full((2, 8, 6), 2.5, np.float32))
    (tmp_path / "test.txt").write_text("1\n2\n3\n")
    with pytest.raises(DataError, match=r"entry 3: index out of range; expected 1\.\.2"):
        build_cache("nyu-mat", path, tmp_path / "out" / "real_test", list_path=tmp_path / "test.txt", height=4, width=4)
    assert not (tmp_path / "out" / "real_test").exists()


def test_not_a_v73_mat(tmp_path):
    from scipy.io import savemat

    savemat(tmp_path / "old.mat", {"images": np.zeros((2, 2))})
    with pytest.raises(DataError, match="expected nyu_depth_v2_labeled.mat in MATLAB v7.3"):
        open_reader("nyu-mat", tmp_path / "old.mat")


def test_missing_split_list_and_cache(tmp_path):
    from arc.data.sampling import read_split_list

    with pytest.raises(DataError, match=r"missing\.txt: split list not found"):
        read_split_list(tmp_path / "missing.txt")
    with pytest.raises(DataError, match=r"manifest\.json: not found"):
        open_cache(tmp_path)
