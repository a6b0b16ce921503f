"""`arc config validate` on the real-data presets: every configured folder exists, holds the
expected layout and enough frames for the sampling, and the command says what it found. The
workflow's first step (prepare_source) runs the same checks. Folders: tests/realdata_tree.py."""

from __future__ import annotations

import json
import re
import os
import shutil

import pytest
import yaml

import realdata_tree
from arc.cli import main
from arc.data.benchmarks import prepare_source
from pipeline_copy import ROOT

# KITTI's full-size test and Virtual KITTI frames make a cache of about 10 GiB: the CI disk's free
# space must not decide these tests (a CI machine with 8.2 GiB free failed two of them).
pytestmark = pytest.mark.usefixtures("plenty_of_disk")


def _params(preset: str, tree: dict, **counts) -> dict:
    params = yaml.safe_load((ROOT / "configs" / f"{preset}.yaml").read_text())
    params["runtime"]["device"] = "cpu"  # the dataset checks; the GPU line: tests/test_config_preflight.py
    params["models"]["vgg"]["weights"] = None
    params["models"]["vgg"]["fallback"] = "random"
    for dataset, settings in tree.items():
        if isinstance(settings, dict):
            params["data"][dataset].update(settings)
    for key, value in counts.items():
        dataset, name = key.split("__")
        params["data"][dataset][name] = value
    return params


@pytest.fixture(scope="module")
def nyu_tree(tmp_path_factory):
    return realdata_tree.nyu_pbrs_tree(tmp_path_factory.mktemp("nyu"))


@pytest.fixture(scope="module")
def kitti_tree(tmp_path_factory):
    return realdata_tree.kitti_vkitti_tree(tmp_path_factory.mktemp("kitti"))


NYU_OK = {"nyu__n_train": 4, "nyu__n_val": 2, "pbrs__n_train": 6}
KITTI_OK = {"kitti__n_train": 4, "kitti__n_val": 2}


def _validate(tmp_path, capsys, params) -> tuple[int, str, str]:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    code = main(["config", "validate", "--params", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_real_presets_say_what_they_found(tmp_path, capsys, nyu_tree, kitti_tree):
    code, out, err = _validate(tmp_path, capsys, _params("paper-nyu", nyu_tree, **NYU_OK))
    assert code == 0, err
    assert "found data.nyu.labeled_mat: 1449 labelled frames of 480x640" in out
    assert "654 official test frames (testNdxs), all evaluated" in out
    assert "found data.nyu.train_pool_list: 10 frames in 10 scenes; sampled 4 training + 2 validation" in out
    assert "found data.pbrs.root: 8 RGB+depth pairs in 3 houses; sampled 6" in out
    code, out, err = _validate(tmp_path, capsys, _params("paper-kitti", kitti_tree, **KITTI_OK))
    assert code == 0, err
    # paper-kitti scores its raw LiDAR (data.kitti.lidar_gt: true); the annotated maps are an also-protocol
    assert "found data.kitti.test_list: 697 frames, all evaluated against their raw LiDAR" in out
    assert "652 also have annotated depth" in out
    annotated_only = _params("paper-kitti", kitti_tree, **KITTI_OK)
    annotated_only["data"]["kitti"]["lidar_gt"] = False
    annotated_only["evaluation"] = {**annotated_only["evaluation"], "protocol": "kitti-standard", "also_protocols": []}
    code, out, err = _validate(tmp_path, capsys, annotated_only)
    assert code == 0, err
    assert "found data.kitti.test_list: 697 frames; 652 with annotated depth are evaluated, 45 skipped" in out
    assert "data_depth_annotated" in out  # the annotated tree beside the raw one was found
    assert "found data.vkitti.root: Virtual KITTI 1.3.1, 10 frames: clone 2, 15-deg-left 2" in out


@pytest.mark.parametrize("change, message", [
    # the paper's counts do not fit the small folders: the error names the key and the numbers
    ({"pbrs__n_train": 5000}, r"params key 'data\.pbrs\.root' = '.*': asked for 5000 training \+ 0 validation "
                              r"frames but the pool has only 8"),
    ({"nyu__n_train": 500, "nyu__n_val": 50}, r"params key 'data\.nyu\.train_pool_list' = '.*': asked for 500 "
                                              r"training \+ 50 validation frames but the pool has only 10"),
])
def test_too_few_frames_for_the_sampling(tmp_path, capsys, nyu_tree, change, message):
    code, _, err = _validate(tmp_path, capsys, _params("paper-nyu", nyu_tree, **{**NYU_OK, **change}))
    assert code == 2
    assert re.search(message, err), err


def test_kitti_counts_and_variants(tmp_path, capsys, kitti_tree):
    code, _, err = _validate(tmp_path, capsys, _params("paper-kitti", kitti_tree, kitti__n_train=1000, kitti__n_val=100))
    assert code == 2 and "params key 'data.kitti.root'" in err and "asked for 1000 training + 100 validation" in err
    params = _params("paper-kitti", kitti_tree, **KITTI_OK)
    params["data"]["vkitti"]["variants"] = ["clone", "fog"]
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "params key 'data.vkitti.root'" in err and "no frame of variant(s) fog" in err
    params = _params("paper-kitti", kitti_tree, **KITTI_OK)
    params["data"]["vkitti"]["version"] = "2"
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "data.vkitti.root" in err


def test_wrong_layout_is_named_with_its_key(tmp_path, capsys, nyu_tree):
    wrong = tmp_path / "pbrs_flat"
    wrong.mkdir()
    (wrong / "000000_mlt.png").symlink_to(realdata_tree.FIXTURES / "pbrs" / "mlt_v2" / "0004d52d1aeeb8ae6de39d6bd993e992" / "000000_mlt.png")
    params = _params("paper-nyu", nyu_tree, **NYU_OK)
    params["data"]["pbrs"]["root"] = str(wrong)
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and err.startswith(f"error: params key 'data.pbrs.root' = '{wrong}': ") and "mlt_v2" in err
    params["data"]["pbrs"]["root"] = str(tmp_path / "absent")
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "key 'data.pbrs.root'" in err and "does not exist" in err


def test_missing_sampled_frames_and_short_labelled_file(tmp_path, capsys, nyu_tree):
    sync = tmp_path / "sync"
    shutil.copytree(nyu_tree["nyu"]["raw_root"], sync, symlinks=True)
    for path in sorted(sync.rglob("rgb_*.jpg"))[:3]:
        path.unlink()
    params = _params("paper-nyu", nyu_tree, **NYU_OK)
    params["data"]["nyu"]["raw_root"] = str(sync)
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "params key 'data.nyu.raw_root'" in err and "of the 6 sampled NYU frames are missing" in err
    short = realdata_tree.write_nyu_labeled_mat(tmp_path / "short.mat", {}, count=1000)
    params = _params("paper-nyu", nyu_tree, **NYU_OK)
    params["data"]["nyu"]["labeled_mat"] = str(short)
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "holds 1000 frames but" in err and "expected the full 1,449-frame labelled set" in err


def test_kitti_test_frames_without_rgb_or_without_any_annotation(tmp_path, capsys, kitti_tree):
    test_list = tmp_path / "eigen.txt"
    test_list.write_text("2011_09_26/2011_09_26_drive_0002_sync 0000000069 l\n"
                         "2011_09_26/2011_09_26_drive_0999_sync 0000000010 l\n")
    params = _params("paper-kitti", kitti_tree, **KITTI_OK)
    params["data"]["kitti"]["test_list"] = str(test_list)
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "1 of the 2 test frames" in err and "have no raw RGB" in err and "drive_0999" in err
    # scored on the annotated maps (not paper-kitti's raw LiDAR): a frame without any annotation
    params["data"]["kitti"]["lidar_gt"] = False
    params["evaluation"] = {**params["evaluation"], "protocol": "kitti-standard", "also_protocols": []}
    test_list.write_text("2011_09_26/2011_09_26_drive_0009_sync 0000000000 l\n")  # never annotated
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "none of the 1 test frames" in err and "has annotated depth" in err


def test_prepare_source_skips_and_lists_eigen_frames_without_annotation(tmp_path, kitti_tree):
    params = _params("paper-kitti", kitti_tree, **KITTI_OK)
    params["data"]["kitti"]["lidar_gt"] = False  # scored on the annotated maps (paper-kitti: the raw LiDAR)
    out = prepare_source(params, tmp_path / "source")
    source = json.loads((out / "source.json").read_text())
    test = source["splits"]["real_test"]
    assert (test["listed"], test["skipped"]) == (697, 45) and "no annotated depth" in test["skip_reason"]
    lines = lambda name: [l for l in (out / name).read_text().splitlines() if not l.startswith("#")]  # noqa: E731
    assert len(lines("real_test.txt")) == 652 and len(lines("real_test_skipped.txt")) == 45
    assert not set(lines("real_test.txt")) & set(lines("real_test_skipped.txt"))
    assert "# why: no annotated depth" in (out / "real_test_skipped.txt").read_text()
    # training frames come from drives that have no test frame
    test_drives = {l.split()[0] for l in lines("real_test.txt") + lines("real_test_skipped.txt")}
    assert not {l.split()[0] for l in lines("real_train.txt") + lines("real_val.txt")} & test_drives


def test_kitti_depth_root_key_is_checked(tmp_path, capsys, kitti_tree):
    params = _params("paper-kitti", kitti_tree, **KITTI_OK)
    params["data"]["kitti"]["depth_root"] = str(tmp_path / "nowhere")
    code, _, err = _validate(tmp_path, capsys, params)
    assert code == 2 and "key 'data.kitti.depth_root'" in err and "does not exist" in err
    params["data"]["kitti"]["depth_root"] = os.path.join(os.path.dirname(kitti_tree["kitti"]["root"]),
                                                         "data_depth_annotated")
    assert _validate(tmp_path, capsys, params)[0] == 0
