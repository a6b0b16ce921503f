"""SynthRooms generator: determinism, clutter-free twins, domains, sensor sparsity, layout."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from arc.data.synthrooms import generate_benchmark, render_sample
from arc.data.synthrooms.clutter import MAX_COVERAGE

SIZES = {"indoor": (48, 64), "outdoor": (32, 96)}


@pytest.mark.parametrize("family", ["indoor", "outdoor"])
@pytest.mark.parametrize("domain", ["synthetic", "real"])
def test_same_seed_gives_identical_arrays(family, domain):
    h, w = SIZES[family]
    a, b = render_sample(family, domain, 123, h, w), render_sample(family, domain, 123, h, w)
    c = render_sample(family, domain, 124, h, w)
    for name in ("rgb", "depth", "clutter_mask", "clean_rgb", "clean_depth"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None and domain == "synthetic"
            continue
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.rgb, c.rgb)


@pytest.mark.parametrize("family", ["indoor", "outdoor"])
def test_real_image_and_twin_differ_only_inside_clutter_mask(family):
    h, w = SIZES[family]
    differing = 0
    for seed in range(6):
        s = render_sample(family, "real", seed, h, w)
        outside = s.clutter_mask == 0
        np.testing.assert_array_equal(s.rgb[outside], s.clean_rgb[outside])
        np.testing.assert_array_equal(s.depth[outside], s.clean_depth[outside])
        assert s.clutter_mask.any() and set(np.unique(s.clutter_mask)) <= {0, 1}
        differing += int((s.rgb != s.clean_rgb).any(axis=2)[s.clutter_mask == 1].sum())
    assert differing > 0  # the clutter is actually visible


def test_light_pools_brighten_the_floor_and_keep_its_depth():
    """A light pool is appearance clutter: brighter pixels, the floor's ground truth unchanged."""
    from arc.data.synthrooms.clutter import kind_code

    h, w = SIZES["indoor"]
    pooled = brighter = 0
    for seed in range(12):
        s = render_sample("indoor", "real", seed, h, w)
        pool = s.clutter_kind == kind_code("light_pool")
        if not pool.any():
            continue
        pooled += 1
        real, twin = s.rgb[pool].astype(float).mean(), s.clean_rgb[pool].astype(float).mean()
        brighter += real > twin + 10
        both = pool & (s.depth > 0) & (s.clean_depth > 0)
        assert both.any()
        np.testing.assert_array_equal(s.depth[both], s.clean_depth[both])
    assert pooled >= 3  # about 0.4 of the indoor items are light pools
    assert brighter == pooled


@pytest.mark.parametrize("family", ["indoor", "outdoor"])
def test_clutter_covers_a_moderate_fraction(family):
    h, w = SIZES[family]
    fractions = [render_sample(family, "real", seed, h, w).clutter_mask.mean() for seed in range(20)]
    assert max(fractions) <= MAX_COVERAGE + 1e-9
    assert min(fractions) >= 0.03
    assert 0.07 <= float(np.mean(fractions)) <= 0.15


@pytest.mark.parametrize("family", ["indoor", "outdoor"])
def test_synthetic_domain_has_no_clutter_and_dense_depth(family):
    h, w = SIZES[family]
    for seed in range(5):
        s = render_sample(family, "synthetic", seed, h, w)
        assert s.info["clutter_items"] == []
        assert s.clutter_mask is None and s.clean_rgb is None
        assert (s.depth > 0).all()
        assert s.depth.max() <= (10.0 if family == "indoor" else 80.0)


@pytest.mark.parametrize("family", ["indoor", "outdoor"])
def test_both_domains_share_geometry_for_one_seed(family):
    """The geometry stream is independent of the domain: synthetic depth == real clean depth where valid."""
    h, w = SIZES[family]
    syn, real = render_sample(family, "synthetic", 7, h, w), render_sample(family, "real", 7, h, w)
    valid = real.clean_depth > 0
    assert valid.mean() > 0.04
    np.testing.assert_allclose(real.clean_depth[valid], syn.depth[valid], rtol=1e-6)
    assert not np.array_equal(syn.rgb, real.clean_rgb)  # but the appearance differs


def test_lidar_ground_truth_sparsity_within_stated_range():
    h, w = SIZES["outdoor"]
    for seed in range(12):
        s = render_sample("outdoor", "real", seed, h, w)
        valid = s.depth > 0
        assert 0.05 <= valid.mean() <= 0.20, (seed, valid.mean())
        assert not valid[: h // 6].any()  # nothing above the scanner's top elevation / sky
        assert s.depth.max() <= 80.0


def test_kinect_ground_truth_has_holes_but_mostly_valid():
    h, w = SIZES["indoor"]
    fractions = [(render_sample("indoor", "real", seed, h, w).depth > 0).mean() for seed in range(8)]
    assert 0.6 <= float(np.mean(fractions)) < 0.98
    assert max(fractions) < 1.0


def test_generate_writes_layout_and_per_split_seeds_are_independent(tmp_path):
    counts = {"syn_train": 3, "real_train": 2, "real_val": 1, "real_test": 2}
    meta = generate_benchmark("indoor", tmp_path / "a", height=24, width=32, counts=counts, seed=5)
    assert json.loads((tmp_path / "a" / "meta.json").read_text()) == meta
    assert meta["depth_scale"] == pytest.approx(0.001) and meta["max_depth"] == 10.0
    for split, n in counts.items():
        folders = ["rgb", "depth"] + (["clutter_mask", "clean_rgb", "clean_depth"] if split != "syn_train" else [])
        for folder in folders:
            assert sorted(p.name for p in (tmp_path / "a" / split / folder).iterdir()) == [f"{i:05d}.png" for i in range(n)]
        assert not (split == "syn_train" and (tmp_path / "a" / split / "clutter_mask").exists())
    depth = cv2.imread(str(tmp_path / "a" / "real_test" / "depth" / "00000.png"), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16 and depth.shape == (24, 32) and 200 < depth[depth > 0].mean() < 10000

    # More real_test images and fewer syn_train images: every shared file is byte-identical.
    more = dict(counts, real_test=3, syn_train=1)
    generate_benchmark("indoor", tmp_path / "b", height=24, width=32, counts=more, seed=5, workers=2)
    for split in counts:
        for i in range(min(counts[split], more[split])):
            for folder in ("rgb", "depth"):
                rel = f"{split}/{folder}/{i:05d}.png"
                assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_outdoor_depth_png_uses_kitti_encoding(tmp_path):
    counts = {"syn_train": 1, "real_test": 1}
    meta = generate_benchmark("outdoor", tmp_path / "o", height=16, width=48, counts=counts, seed=1)
    assert meta["depth_scale"] == pytest.approx(1 / 256) and meta["max_depth"] == 80.0
    syn = cv2.imread(str(tmp_path / "o" / "syn_train" / "depth" / "00000.png"), cv2.IMREAD_UNCHANGED)
    assert syn.max() == 80 * 256  # the sky is "far", clipped to 80 m as vKITTI's 655.35 m
