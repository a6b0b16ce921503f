"""KITTI as the paper samples and scores it, on a tree in the official layouts built from the real samples
(tests/realdata_tree.py: both colour cameras, the depth benchmark, Velodyne scans, the real calibration):
the training pool is left-camera frames only; the Eigen test split's ground truth is each frame's raw
LiDAR at full resolution (kitti-eigen-lidar), checked by `arc config validate`, carried by the cache,
and scored with predictions resized up to it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import realdata_tree
from arc.data.benchmarks import plan_sources
from arc.data.cache import build_cache, open_cache
from arc.data.readers import open_reader
from arc.data.readers.kitti_lidar import lidar_depth
from arc.errors import DataError
from arc.evaluation.predict import predict_split
from arc.evaluation.protocols import get_protocol
from arc.preflight import ground_truth_problems


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return realdata_tree.kitti_vkitti_tree(tmp_path_factory.mktemp("kitti"), train_drives=3, frames_per_drive=4)


def _params(tree, **kitti) -> dict:
    return {"benchmark": "kitti-vkitti", "seed": 0,
            "data": {"kitti": {**tree["kitti"], "n_train": 6, "n_val": 2, **kitti}, "vkitti": tree["vkitti"]},
            "evaluation": {"protocol": "kitti-eigen-lidar", "also_protocols": ["kitti-standard"]}}


def test_training_pool_is_left_camera_only_on_a_tree_with_both(tree, tmp_path):
    raw = tree["kitti"]["root"]
    assert list((realdata_tree.Path(raw) / "2011_09_26" / "2011_09_26_drive_0001_sync").glob("image_03/data/*.png"))
    pool = open_reader("kitti", raw).entries()
    assert pool and all(e.endswith(" l") for e in pool)
    plan = plan_sources(_params(tree))
    train, val = plan.splits["real_train"]["entries"], plan.splits["real_val"]["entries"]
    # the first 6 frames in drive order: with both cameras listed, the last two were drive 0001's image_03 copies
    first, second = (f"2011_09_26/2011_09_26_drive_{d}_sync" for d in ("0001", "0011"))
    assert train == [f"{first} {f:010d} l" for f in (5, 6, 7, 8)] + [f"{second} {f:010d} l" for f in (5, 6)]
    assert len(val) == 2 and all(e.endswith(" l") for e in val)
    listing = tmp_path / "real_train.txt"
    listing.write_text("\n".join(train) + "\n")
    cached = build_cache("kitti", raw, tmp_path / "cache" / "kitti-vkitti" / "real_train", height=8, width=24,
                         list_path=listing, split="real_train")
    assert len(cached) == 6 and not any(n.endswith("_r") for n in cached.names)
    assert "image_03" not in json.dumps(cached.manifest)


def test_lidar_ground_truth_takes_every_listed_test_frame(tree):
    plan = plan_sources(_params(tree, lidar_gt=True))
    test = plan.splits["real_test"]
    assert len(test["entries"]) == 697 and test["skipped"] == [] and test["lidar_gt"] is True
    assert any("697 frames, all evaluated against their raw LiDAR" in line and "652 also have annotated depth" in line
               for line in plan.found)
    annotated = plan_sources(_params(tree, lidar_gt=False)).splits["real_test"]
    assert len(annotated["entries"]) == 652 and len(annotated["skipped"]) == 45 and "lidar_gt" not in annotated


def test_validate_names_the_missing_lidar_file(tree):
    raw = realdata_tree.Path(tree["kitti"]["root"])
    scan = raw / "2011_09_26" / "2011_09_26_drive_0002_sync" / "velodyne_points" / "data" / "0000000069.bin"
    target = scan.resolve()
    scan.unlink()
    try:
        with pytest.raises(DataError) as caught:
            plan_sources(_params(tree, lidar_gt=True))
        message = str(caught.value)
        assert "'data.kitti.lidar_gt' = true: 1 raw LiDAR file(s) of the 697 test frames" in message
        assert f"(first: {scan})" in message
    finally:
        scan.symlink_to(target)


def test_a_lidar_protocol_needs_lidar_gt_and_kitti():
    params = {"benchmark": "kitti-vkitti", "data": {"kitti": {"lidar_gt": False}},
              "evaluation": {"protocol": "kitti-standard", "also_protocols": ["kitti-eigen-lidar-50"]}}
    [line] = ground_truth_problems(params)
    assert line.startswith("key 'evaluation.also_protocols.0' = 'kitti-eigen-lidar-50' scores the raw LiDAR")
    assert "expected data.kitti.lidar_gt: true" in line
    params["data"]["kitti"]["lidar_gt"] = True
    assert ground_truth_problems(params) == []
    params["benchmark"] = "synthrooms-outdoor"
    assert "expected benchmark kitti-vkitti" in ground_truth_problems(params)[0]


class ConstantDepth(torch.nn.Module):
    """20 m everywhere (depth_unit -0.5 of an 80 m range)."""

    def forward(self, x, hard=None):
        return {"depth_unit": torch.full((x.shape[0], 1, *x.shape[2:]), -0.5), "mask": None}


def _hand_abs_rel(gt: np.ndarray, pred: float, top, bottom, left, right, cap: float) -> float:
    window = gt[top:bottom, left:right]
    values = window[(window > 1e-3) & (window < cap)]
    return float(np.mean(np.abs(min(pred, cap) - values) / values))


def test_cache_carries_full_resolution_lidar_and_predictions_are_scored_against_it(tree, tmp_path):
    raw = tree["kitti"]["root"]
    entries = [line for line in realdata_tree.EIGEN_TEST.read_text().splitlines() if line.strip()]
    no_annotation = sorted(realdata_tree.eigen_frames_without_annotation(entries))[:1]
    chosen = entries[:2] + no_annotation
    listing = tmp_path / "real_test.txt"
    listing.write_text("\n".join(chosen) + "\n")
    split_dir = tmp_path / "cache" / "kitti-vkitti" / "real_test"
    split = build_cache("kitti", raw, split_dir, height=24, width=64, list_path=listing, split="real_test",
                        lidar_gt=True)
    assert split.manifest["full_gt"] == {"file": "full_gt.npz", "source": "kitti-velodyne"}
    split = open_cache(split_dir)
    for i, line in enumerate(chosen):
        drive, frame = line.split()[:2]
        np.testing.assert_array_equal(split.full_gt_m(i), lidar_depth(raw, drive, frame))
        assert split.full_gt_m(i).shape == (375, 1242)
    assert np.count_nonzero(split.depth[2]) == 0  # no annotated map: nothing valid at the cache's size

    info = predict_split(ConstantDepth(), split_dir, tmp_path / "out", method="mix", seed=0,
                         protocol=get_protocol("kitti-eigen-lidar"), batch_size=2,
                         also_protocols=[get_protocol("kitti-eigen-lidar-50"), get_protocol("kitti-standard")])
    # by hand: the Garg crop at 375 x 1242 is rows 153:371, cols 44:1197; the 20 m prediction resized up is 20 m
    per_image = [_hand_abs_rel(split.full_gt_m(i), 20.0, 153, 371, 44, 1197, 80.0) for i in range(3)]
    assert info["metrics"]["abs_rel"] == pytest.approx(np.mean(per_image), rel=1e-6)
    assert info["n_valid_images"] == 3 and info["protocol_details"]["ground_truth"] == "kitti-velodyne"
    capped = [_hand_abs_rel(split.full_gt_m(i), 20.0, 153, 371, 44, 1197, 50.0) for i in range(3)]
    assert info["also_protocols"]["kitti-eigen-lidar-50"]["metrics"]["abs_rel"] == pytest.approx(np.mean(capped), rel=1e-6)
    # the annotated-map protocol at the cache's size: the frame without annotation has no valid pixel
    assert info["also_protocols"]["kitti-standard"]["n_valid_images"] == 2


def test_a_lidar_protocol_on_a_cache_without_lidar_fails_before_predicting(tree, tmp_path):
    listing = tmp_path / "real_test.txt"
    listing.write_text(realdata_tree.EIGEN_TEST.read_text().splitlines()[0] + "\n")
    split_dir = tmp_path / "cache" / "real_test"
    build_cache("kitti", tree["kitti"]["root"], split_dir, height=8, width=24, list_path=listing, split="real_test")
    with pytest.raises(DataError, match=r"protocol kitti-eigen-lidar scores kitti-velodyne ground truth .* "
                                        r"set data.kitti.lidar_gt: true"):
        predict_split(ConstantDepth(), split_dir, tmp_path / "out", method="mix", seed=0,
                      protocol=get_protocol("kitti-eigen-lidar"))
    assert not (tmp_path / "out").exists()


def test_arc_evaluate_on_folders_resizes_up_under_a_lidar_protocol(tmp_path):
    from arc.evaluation.evaluate import evaluate_folders

    (tmp_path / "pred").mkdir()
    (tmp_path / "gt").mkdir()
    np.save(tmp_path / "pred" / "a.npy", np.full((2, 4), 10.0, np.float32))
    gt = np.zeros((6, 10), np.float32)
    gt[3, 5] = 8.0  # inside the Garg crop at 6 x 10: rows 2:5, cols 0:9
    gt[0, 5] = 8.0  # above it
    np.save(tmp_path / "gt" / "a.npy", gt)
    result = evaluate_folders(tmp_path / "pred", tmp_path / "gt", get_protocol("kitti-eigen-lidar"))
    assert result.resized == "bilinear" and result.per_sample[0]["n_valid"] == 1
    assert result.metrics["abs_rel"] == pytest.approx(0.25)
    with pytest.raises(DataError, match="differ in shape"):
        evaluate_folders(tmp_path / "pred", tmp_path / "gt", get_protocol("kitti-standard"))
