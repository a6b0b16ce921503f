"""Preprocessing: NYU border crop, nearest-only depth resize, clipping, uint16 encoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arc.data.preprocess import (
    clip_depth, depth_to_uint16, nearest_indices, preprocess_record, resize_nearest, spec_for,
)
from arc.data.readers import open_reader
from arc.data.readers.base import Record
from arc.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "realdata"


def test_nearest_resize_never_blends_invalid_pixels():
    rng = np.random.default_rng(0)
    depth = rng.uniform(1, 5, (37, 53)).astype(np.float32)
    depth[rng.random(depth.shape) < 0.5] = 0.0
    out = resize_nearest(depth, 9, 14)
    assert set(np.unique(out)) <= set(np.unique(depth))  # only source values, never averages
    assert nearest_indices(10, 5).tolist() == [1, 3, 5, 7, 9]  # centre-aligned


def test_nyu_preprocess_crops_border_resizes_and_clips():
    rec = open_reader("nyu", FIXTURES / "nyu_unidepth").read("rgb/rgb_00000.png")
    assert rec.depth.max() == pytest.approx(10.0)
    spec = spec_for("nyu", 24, 32)
    assert spec.crop_nyu_border and spec.max_depth == 10.0
    out = preprocess_record(rec, spec)
    assert out.rgb.shape == (24, 32, 3) and out.depth.shape == (24, 32) and out.depth.dtype == np.float32
    assert out.rgb[:2].mean() > 20  # the black 7-px border is cropped away
    assert out.depth.max() <= 10.0 and (out.depth > 0).mean() > 0.5


def test_outdoor_far_values_clip_to_80m_and_stay_valid():
    depth = np.array([[0.0, 12.0, 655.35, np.nan]], np.float32)
    np.testing.assert_array_equal(clip_depth(depth, 80.0), [[0.0, 12.0, 80.0, 0.0]])
    rec = Record("x", np.zeros((1, 4, 3), np.uint8), depth)
    out = preprocess_record(rec, spec_for("vkitti", 1, 4))
    np.testing.assert_array_equal(out.depth, [[0.0, 12.0, 80.0, 0.0]])


def test_kitti_preprocess_keeps_sparse_lidar_sparse():
    rec = open_reader("kitti", FIXTURES / "kitti").read("0000000005")
    out = preprocess_record(rec, spec_for("kitti", 32, 96))
    assert 0.1 < (out.depth > 0).mean() < 0.3
    assert not out.depth[:8].any()  # the empty top third stays empty
    assert out.depth.max() <= 80.0


def test_nyu_crop_rejects_non_nyu_frame_size():
    rec = Record("odd", np.zeros((10, 10, 3), np.uint8), np.ones((10, 10), np.float32))
    with pytest.raises(DataError, match="expected 480x640"):
        preprocess_record(rec, spec_for("nyu", 8, 8))


def test_depth_to_uint16_roundtrip_and_overflow():
    depth = np.array([0.0, 1.2345, 9.999], np.float32)
    units = depth_to_uint16(depth, 0.001)
    np.testing.assert_allclose(units * 0.001, depth, atol=5e-4)
    with pytest.raises(DataError, match="does not fit uint16"):
        depth_to_uint16(np.array([300.0]), 1 / 256, "far")
