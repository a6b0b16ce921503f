"""Each protocol's crop, depth range, prediction clamp and pooling."""

import numpy as np
import pytest

from arc.errors import ConfigError
from arc.evaluation.protocols import EIGEN_NYU_CROP, GARG_KITTI_CROP, PROTOCOLS, get_protocol
from arc.evaluation.scoring import Scorer


def test_eigen_crop_is_the_standard_region_at_full_and_half_resolution():
    assert EIGEN_NYU_CROP.bounds(480, 640) == (45, 471, 41, 601)
    assert EIGEN_NYU_CROP.bounds(240, 320) == (22, 235, 20, 300)
    mask = get_protocol("nyu-standard").eval_mask(np.full((480, 640), 3.0))
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (45, 471, 41, 601)


def test_garg_crop_matches_the_kitti_scripts_integer_bounds():
    # int(0.40810811 * 375) = 153, int(0.99189189 * 375) = 371, int(0.03594771 * 1242) = 44, int(0.96405229 * 1242) = 1197
    assert GARG_KITTI_CROP.bounds(375, 1242) == (153, 371, 44, 1197)
    mask = get_protocol("kitti-standard").eval_mask(np.full((375, 1242), 20.0))
    assert mask.sum() == (371 - 153) * (1197 - 44)


@pytest.mark.parametrize(
    "name, inside, outside",
    [
        ("nyu-paper", [1.01, 4.0, 7.99], [0.0, 0.5, 1.0, 8.0, 9.5]),
        ("nyu-standard", [0.01, 5.0, 9.99], [0.0, 10.0, 12.0]),
        ("kitti-standard", [0.01, 50.0, 79.9], [0.0, 80.0, 120.0]),
        ("kitti-eigen-lidar", [0.01, 50.0, 79.9], [0.0, 80.0, 120.0]),
        ("kitti-eigen-lidar-50", [0.01, 49.9], [0.0, 50.0, 79.9]),
        ("synthrooms-indoor", [0.01, 9.99], [0.0, 10.0, 11.0]),
        ("synthrooms-outdoor", [0.01, 79.9], [0.0, 80.0, 655.3]),
    ],
)
def test_depth_range_is_strict(name, inside, outside):
    protocol = get_protocol(name)
    crop_free = protocol.without_crop()
    values = np.array([inside + outside], dtype=np.float32)
    mask = crop_free.eval_mask(values)[0]
    assert mask.tolist() == [True] * len(inside) + [False] * len(outside)


def test_no_crop_on_synthrooms_indoor_and_optional_garg_crop_outdoor():
    assert get_protocol("synthrooms-indoor").crop is None
    assert get_protocol("synthrooms-outdoor").crop is None
    assert get_protocol("synthrooms-outdoor-garg").crop == GARG_KITTI_CROP


def test_prediction_clamp_and_pooling_per_protocol():
    assert get_protocol("kitti-standard").clamp_prediction(np.array([0.0, 100.0])).tolist() == pytest.approx([1e-3, 80.0])
    assert get_protocol("nyu-paper").pooling == "pixel"
    assert {PROTOCOLS[n].pooling for n in PROTOCOLS if n != "nyu-paper"} == {"image"}


def test_same_predictions_score_differently_under_pixel_and_image_pooling():
    # Image 1: gt 2 m everywhere, prediction 3 m on all 4 pixels. Image 2: one valid pixel, exact.
    gt1, pred1 = np.full((2, 2), 2.0), np.full((2, 2), 3.0)
    gt2 = np.array([[2.0, 0.0], [0.0, 0.0]])
    pred2 = np.full((2, 2), 2.0)
    results = {}
    for name in ("nyu-paper", "synthrooms-indoor"):
        scorer = Scorer(get_protocol(name))
        scorer.add("a", pred1, gt1)
        scorer.add("b", pred2, gt2)
        results[name] = scorer.metrics()
    assert results["nyu-paper"]["abs_rel"] == pytest.approx(4 * 0.5 / 5)  # 5 pixels pooled
    assert results["synthrooms-indoor"]["abs_rel"] == pytest.approx((0.5 + 0.0) / 2)  # 2 images averaged


def test_unknown_protocol_names_the_choices():
    with pytest.raises(ConfigError, match="nyu-standard"):
        get_protocol("nyu")
    assert get_protocol("nyu-standard", crop=False).crop is None
    assert get_protocol("nyu-standard", crop=False).name == "nyu-standard"


def test_nyu_frames_cropped_before_caching_are_not_cropped_again():
    from arc.evaluation.protocols import get_protocol, protocol_for_cache

    nyu = get_protocol("nyu-standard")
    cropped = {"source": {"preprocess": {"crop": "nyu rows 45:471 cols 41:601"}}}
    assert protocol_for_cache(nyu, cropped).crop is None
    assert protocol_for_cache(nyu, {"source": {"preprocess": {"crop": None}}}).crop == nyu.crop
    kitti = get_protocol("kitti-standard")
    assert protocol_for_cache(kitti, cropped).crop == kitti.crop


def test_lidar_protocols_resize_predictions_up_bilinearly_and_average_per_image():
    """Hand-computed: a 1 x 2 prediction [10, 20] m resized to 375 x 1242 by OpenCV's bilinear rule
    (pixel centres: source x = (x + 0.5) * 2 / 1242 - 0.5, clamped to [0, 1]) scored on sparse LiDAR-like
    ground truth inside and outside the Garg crop (rows 153:371, cols 44:1197)."""
    lidar, lidar50 = get_protocol("kitti-eigen-lidar"), get_protocol("kitti-eigen-lidar-50")
    assert lidar.full_resolution and not get_protocol("kitti-standard").full_resolution
    pred = np.array([[10.0, 20.0]], dtype=np.float32)
    gt = np.zeros((375, 1242), np.float32)
    gt[300, 620] = 15.0   # source x = 620.5 / 621 - 0.5: prediction 10 + 10 * that
    gt[200, 100] = 8.0    # source x < 0: clamped, prediction 10
    gt[200, 1100] = 60.0  # source x > 1: prediction 20; only under the 80 m cap
    gt[100, 620] = 15.0   # above the crop: not scored
    gt[300, 1220] = 15.0  # right of the crop: not scored
    at_620 = 10.0 + 10.0 * (620.5 / 621 - 0.5)
    scorer, scorer50 = Scorer(lidar), Scorer(lidar50)
    scorer.add("a", pred, gt)
    scorer50.add("a", pred, gt)
    expected = (abs(at_620 - 15.0) / 15.0 + abs(10.0 - 8.0) / 8.0 + abs(20.0 - 60.0) / 60.0) / 3
    assert scorer.per_sample()[0]["n_valid"] == 3
    assert scorer.per_sample()[0]["abs_rel"] == pytest.approx(expected, rel=1e-5)
    assert scorer50.per_sample()[0]["n_valid"] == 2  # 60 m is beyond the 50 m cap
    # a second image with one exact pixel: the protocol's number is the mean of the two images' numbers
    second = np.zeros((375, 1242), np.float32)
    second[300, 44] = 10.0  # source x < 0 -> 10 m, exact
    scorer.add("b", pred, second)
    assert scorer.metrics()["abs_rel"] == pytest.approx(expected / 2, rel=1e-5)
    assert lidar.summary()["ground_truth"] == "kitti-velodyne" and "ground_truth" not in get_protocol("kitti-standard").summary()
