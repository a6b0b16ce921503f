"""The official download layouts, on real sample files: found, or a clear error naming the layout
expected and what was found. Finding nothing never looks like success."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from arc.cli import main
from arc.data.readers import open_reader
from realdata_tree import FIXTURES, vkitti_road_depth, write_vkitti_depth

KITTI_DRIVE = "2011_09_26_drive_0001_sync"


def _link(target: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target.resolve(), path)


def kitti_official(root: Path, annotated: Path, frames=("0000000005", "0000000050")) -> Path:
    """KITTI raw + the depth benchmark, as unpacked from the official zips."""
    raw = root / "kitti_raw"
    for frame in frames:
        _link(FIXTURES / "kitti" / "rgb" / f"{frame}.png", raw / "2011_09_26" / KITTI_DRIVE / "image_02" / "data" / f"{frame}.png")
        _link(FIXTURES / "kitti" / "depth" / f"{frame}.png",
              annotated / "train" / KITTI_DRIVE / "proj_depth" / "groundtruth" / "image_02" / f"{frame}.png")
    return raw


def _inspect(capsys, *args) -> tuple[int, str, str]:
    code = main(["data", "inspect", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("where", ["beside", "inside"])
def test_kitti_inspect_finds_the_annotated_tree_of_the_official_download(tmp_path, capsys, where):
    annotated = tmp_path / "data_depth_annotated" if where == "beside" else tmp_path / "kitti_raw" / "data_depth_annotated"
    raw = kitti_official(tmp_path, annotated)
    code, out, err = _inspect(capsys, "--dataset", "kitti", str(raw), "--json")
    assert code == 0, err
    samples = json.loads(out)["samples"]
    assert [s["name"] for s in samples] == [f"{KITTI_DRIVE}_0000000005", f"{KITTI_DRIVE}_0000000050"]
    assert samples[0]["rgb_shape"] == [375, 1242, 3] and abs(samples[0]["median_m"] - 13.844) < 1e-3


def test_kitti_depth_root_given_explicitly(tmp_path, capsys):
    raw = kitti_official(tmp_path, tmp_path / "elsewhere" / "depth_benchmark")
    assert _inspect(capsys, "--dataset", "kitti", str(raw))[0] == 2  # not beside, not inside: not found
    code, out, _ = _inspect(capsys, "--dataset", "kitti", str(raw), "--depth-root",
                            str(tmp_path / "elsewhere" / "depth_benchmark"), "--json")
    assert code == 0 and len(json.loads(out)["samples"]) == 2


def _rgb_only_kitti(tmp_path):
    raw = tmp_path / "rgb_only"
    _link(FIXTURES / "kitti" / "rgb" / "0000000005.png", raw / "2011_09_26" / KITTI_DRIVE / "image_02" / "data" / "0000000005.png")
    return raw


def _rgb_only_nyu(tmp_path):
    root = tmp_path / "nyu_rgb_only"
    _link(FIXTURES / "nyu" / "rgb" / "rgb_00000.jpg", root / "bedroom_0001" / "rgb_00000.jpg")
    return root


def _empty(tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


@pytest.mark.parametrize("dataset, make, expected, found", [
    ("kitti", _empty, "image_02/data/<frame>.png", "is empty"),
    ("kitti", _rgb_only_kitti, "proj_depth/groundtruth/image_02", f"1 raw RGB frame(s) in 1 drive(s) ({KITTI_DRIVE})"),
    ("nyu", _empty, "sync_depth_NNNNN.png", "is empty"),
    ("nyu", _rgb_only_nyu, "sync_depth_NNNNN.png", "1 rgb_* image(s) and 0 sync_depth_*.png"),
])
def test_nothing_found_is_an_error_naming_layout_and_findings(tmp_path, capsys, dataset, make, expected, found):
    root = make(tmp_path)
    code, out, err = _inspect(capsys, "--dataset", dataset, str(root))
    assert code == 2 and out == ""
    assert err.startswith(f"error: {root}: no {dataset} sample (RGB with its depth) found; expected ")
    assert expected in err and found in err and err.count("\n") == 1
    # cache and sample refuse the same folder with the same message
    for command in (["data", "cache", "--dataset", dataset, "--root", str(root), "--height", "8", "--width", "8",
                     "--out", str(tmp_path / "c" / "x")],
                    ["data", "sample", "--dataset", dataset, "--root", str(root), "--n", "1",
                     "--out", str(tmp_path / "list.txt")]):
        assert main(command) == 2
        assert found in capsys.readouterr().err
    assert not (tmp_path / "list.txt").exists()


def test_vkitti_inspect_reports_far_code_apart(tmp_path, capsys):
    """65535 is sky/far, not 655.35 m: counted apart, out of the depth statistics, and explained."""
    depth = vkitti_road_depth(375, 1242)
    for variant in ("clone", "fog"):
        _link(FIXTURES / "kitti" / "rgb" / "0000000005.png", tmp_path / "vkitti_1.3.1_rgb" / "0001" / variant / "00000.png")
        write_vkitti_depth(tmp_path / "vkitti_1.3.1_depthgt" / "0001" / variant / "00000.png", depth)
    code, out, err = _inspect(capsys, "--dataset", "vkitti", str(tmp_path), "--variants", "clone", "--json")
    assert code == 0, err
    report = json.loads(out)
    (sample,) = report["samples"]
    sky = float(np.isinf(depth).mean())
    assert abs(sample["far_fraction"] - sky) < 1e-3 and abs(sample["valid_fraction"] - (1 - sky)) < 1e-3
    assert sample["max_m"] == pytest.approx(200.0) and sample["min_m"] > 1.0  # real depths only
    assert "65535" in report["note"] and "80 m" in report["note"]
    # the table prints the far column and the note; a lone depth file gets the same treatment
    code, out, _ = _inspect(capsys, "--dataset", "vkitti",
                            str(tmp_path / "vkitti_1.3.1_depthgt" / "0001" / "clone" / "00000.png"))
    assert code == 0 and " far " in out.splitlines()[0] and "note: 65535" in out


def test_vkitti_far_code_becomes_the_80m_cap_in_the_cache(tmp_path):
    from arc.data.cache import build_cache

    depth = np.full((6, 10), 12.5)
    depth[:2] = np.inf
    cv2.imwrite(str(tmp_path / "rgb.png"), np.zeros((6, 10, 3), np.uint8))
    _link(tmp_path / "rgb.png", tmp_path / "v" / "vkitti_1.3.1_rgb" / "0001" / "clone" / "00000.png")
    write_vkitti_depth(tmp_path / "v" / "vkitti_1.3.1_depthgt" / "0001" / "clone" / "00000.png", depth)
    split = build_cache("vkitti", tmp_path / "v", tmp_path / "cache" / "kitti-vkitti" / "syn_train", height=6, width=10)
    metres = split.depth_m(0)
    np.testing.assert_allclose(metres[:2], 80.0, atol=0.01)
    np.testing.assert_allclose(metres[2:], 12.5, atol=0.01)


def test_reader_error_for_rgb_without_depth_via_open_reader(tmp_path):
    from arc.errors import DataError

    with pytest.raises(DataError, match="0 sync_depth"):
        open_reader("nyu", _rgb_only_nyu(tmp_path)).require_entries()
