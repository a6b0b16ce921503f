"""Split-list sampling: determinism, train/val/test disjointness, first-N, scene exclusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from arc.data.sampling import entry_key, read_split_list, sample_split, scene_key, write_split_list
from arc.errors import DataError

SPLITS = Path(__file__).parents[1] / "data" / "splits"


def _bts_pool(n_scenes=30, frames=40):
    return [f"/scene_{s:03d}/rgb_{f:05d}.jpg /scene_{s:03d}/sync_depth_{f:05d}.png 518.8579"
            for s in range(n_scenes) for f in range(frames)]


def test_sampling_is_deterministic_and_seed_dependent():
    pool = _bts_pool()
    a = sample_split(pool, dataset="nyu", n=50, seed=3, n_val=10)
    b = sample_split(pool, dataset="nyu", n=50, seed=3, n_val=10)
    c = sample_split(pool, dataset="nyu", n=50, seed=4, n_val=10)
    assert a == b and a[0] != c[0]
    assert all(line in pool for line in a[0] + a[1])  # lines kept verbatim


def test_nyu_train_val_test_disjoint_and_scene_disjoint_val():
    pool = _bts_pool(n_scenes=300, frames=8)
    test = pool[::7]  # pretend some frames are test frames (given with another spelling)
    test_spelled = [line.lstrip("/").split()[0] for line in test]
    train, val = sample_split(pool, dataset="nyu", n=100, seed=0, exclude=test_spelled, n_val=30,
                              val_scene_disjoint=True)
    keys = lambda lines: {entry_key("nyu", x) for x in lines}  # noqa: E731
    assert len(keys(train)) == 100 and len(keys(val)) == 30
    assert not keys(train) & keys(val)
    assert not (keys(train) | keys(val)) & keys(test)
    assert not {scene_key("nyu", x) for x in train} & {scene_key("nyu", x) for x in val}


def test_nyu_labelled_indices_disjoint_from_official_test():
    test = read_split_list(SPLITS / "nyu_official_test_indices.txt")
    train_pool = read_split_list(SPLITS / "nyu_official_train_indices.txt")
    assert len(test) == 654 and len(train_pool) == 795
    everything = [str(i) for i in range(1, 1450)]
    train, val = sample_split(everything, dataset="nyu-mat", n=500, seed=0, exclude=test, n_val=50)
    assert set(train).isdisjoint(test) and set(val).isdisjoint(test) and set(train).isdisjoint(val)
    assert set(train) | set(val) <= set(train_pool)  # 1449 - 654 = the official train indices


def test_committed_nyu_lists_are_disjoint_samples_of_training_scenes():
    train = read_split_list(SPLITS / "nyu_train_500.txt")
    val = read_split_list(SPLITS / "nyu_val_50.txt")
    assert len(train) == 500 and len(val) == 50
    assert not {entry_key("nyu", x) for x in train} & {entry_key("nyu", x) for x in val}
    assert not {scene_key("nyu", x) for x in train} & {scene_key("nyu", x) for x in val}
    assert all(scene_key("nyu", x).split("_")[-1][:4].isdigit() for x in train)  # <type>_<NNNN> training scenes
    pool = Path("/work/shared/realdata/splits/nyu_train_files_with_gt.txt")
    if pool.is_file():  # re-derive from the BTS pool where it is available
        again = sample_split(read_split_list(pool), dataset="nyu", n=500, seed=0, n_val=50, val_scene_disjoint=True)
        assert again == (train, val)


def test_kitti_first_mode_excludes_test_drives():
    pool = [f"2011_09_26/2011_09_26_drive_{d:04d}_sync {f:010d} l" for d in (1, 2, 3) for f in range(5)]
    test = ["2011_09_26/2011_09_26_drive_0002_sync 0000000069 l"]
    train, _ = sample_split(pool, dataset="kitti", n=7, seed=0, mode="first", exclude_scenes=test)
    assert train == pool[:5] + pool[10:12]
    eigen = read_split_list(SPLITS / "kitti_eigen_test.txt")
    assert len(eigen) == 697 and len({entry_key("kitti", e) for e in eigen}) == 697


def test_too_large_request_is_a_clear_error():
    with pytest.raises(DataError, match="pool has only 6"):
        sample_split([str(i) for i in range(1, 7)], dataset="nyu-mat", n=5, seed=0, n_val=2)


def test_split_list_roundtrip_with_header(tmp_path):
    path = write_split_list(tmp_path / "l.txt", ["a/1", "b/2"], {"seed": 0})
    assert path.read_text().startswith("# seed: 0\n")
    assert read_split_list(path) == ["a/1", "b/2"]
