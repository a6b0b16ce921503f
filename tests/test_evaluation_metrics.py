"""Table-1 metrics against values computed by hand, and the two poolings."""

import math

import numpy as np
import pytest

from arc.evaluation.metrics import aggregate_sums, compute_metrics, metric_sums, metrics_from_sums


def test_metrics_by_hand_with_invalid_pixels():
    # Valid pixels (gt > 0): (pred 2, gt 1), (pred 4, gt 4), (pred 1, gt 2). The gt = 0 pixel is ignored,
    # whatever its prediction.
    pred = np.array([[2.0, 4.0], [1.0, 123.0]])
    gt = np.array([[1.0, 4.0], [2.0, 0.0]])
    m = compute_metrics(pred, gt, gt > 0)
    assert m["abs_rel"] == pytest.approx((1 / 1 + 0 + 1 / 2) / 3)  # 0.5
    assert m["sq_rel"] == pytest.approx((1 / 1 + 0 + 1 / 2) / 3)  # (1^2/1 + 0 + 1^2/2) / 3
    assert m["rms"] == pytest.approx(math.sqrt((1 + 0 + 1) / 3))
    assert m["rms_log"] == pytest.approx(math.sqrt((math.log(2) ** 2 + 0 + math.log(2) ** 2) / 3))
    # ratios max(p/g, g/p) = 2, 1, 2 and 2 > 1.25^3 = 1.953: only the exact pixel passes any threshold.
    assert m["delta1"] == pytest.approx(1 / 3)
    assert m["delta2"] == pytest.approx(1 / 3)
    assert m["delta3"] == pytest.approx(1 / 3)


def test_delta_thresholds_are_strict_and_nested():
    gt = np.ones(4)
    pred = np.array([1.2, 1.5, 1.9, 2.5])  # ratios 1.2 < 1.25; 1.5 < 1.5625; 1.9 < 1.953; 2.5 above all
    m = compute_metrics(pred, gt, np.ones(4, bool))
    assert (m["delta1"], m["delta2"], m["delta3"]) == pytest.approx((0.25, 0.5, 0.75))
    # Under-prediction counts the same as over-prediction (max of both ratios).
    m2 = compute_metrics(1.0 / pred, gt, np.ones(4, bool))
    assert (m2["delta1"], m2["delta2"], m2["delta3"]) == pytest.approx((0.25, 0.5, 0.75))


def test_sq_rel_differs_from_abs_rel():
    m = compute_metrics(np.array([3.0]), np.array([2.0]), np.array([True]))
    assert m["abs_rel"] == pytest.approx(0.5)
    assert m["sq_rel"] == pytest.approx(1.0 / 2.0)
    m = compute_metrics(np.array([5.0]), np.array([2.0]), np.array([True]))
    assert m["abs_rel"] == pytest.approx(1.5)
    assert m["sq_rel"] == pytest.approx(9.0 / 2.0)
    assert m["rms"] == pytest.approx(3.0)


def test_pixel_and_image_pooling_differ_as_computed_by_hand():
    # Image A: 1 valid pixel with error 3 m (pred 5, gt 2). Image B: 3 valid pixels, exact.
    sums_a = metric_sums(np.array([5.0, 9.0]), np.array([2.0, 0.0]), np.array([True, False]))
    sums_b = metric_sums(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]), np.ones(3, bool))
    sums = np.stack([sums_a, sums_b])
    pixel = aggregate_sums(sums, "pixel")
    image = aggregate_sums(sums, "image")
    # Pixel pooling: 4 pixels, one with |d|/g = 1.5, d^2 = 9.
    assert pixel["abs_rel"] == pytest.approx(1.5 / 4)
    assert pixel["rms"] == pytest.approx(math.sqrt(9 / 4))
    assert pixel["delta1"] == pytest.approx(3 / 4)
    # Image pooling: mean of (1.5, 0), of (3, 0), of (0, 1).
    assert image["abs_rel"] == pytest.approx(0.75)
    assert image["rms"] == pytest.approx(1.5)
    assert image["delta1"] == pytest.approx(0.5)


def test_images_without_valid_pixels_are_skipped_in_image_pooling():
    empty = metric_sums(np.array([1.0]), np.array([0.0]), np.array([False]))
    assert empty[0] == 0
    assert all(math.isnan(v) for v in metrics_from_sums(empty).values())
    exact = metric_sums(np.array([2.0]), np.array([2.0]), np.array([True]))
    image = aggregate_sums(np.stack([empty, exact]), "image")
    assert image["abs_rel"] == 0.0 and image["delta1"] == 1.0
    assert all(math.isnan(v) for v in aggregate_sums(np.stack([empty]), "image").values())


def test_non_positive_prediction_is_rejected():
    with pytest.raises(ValueError, match="> 0"):
        metric_sums(np.array([0.0]), np.array([1.0]), np.array([True]))
    with pytest.raises(ValueError, match="pooling"):
        aggregate_sums(np.zeros((1, 8)), "median")
