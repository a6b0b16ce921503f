"""The premise-strength dial of SynthRooms (data.synthrooms.<family>.clutter_strength, clutter.ClutterDial)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from arc.config import validate_params
from arc.data.synthrooms import generate_benchmark, render_sample
from arc.data.synthrooms.clutter import SHADOW_LOOKS, ClutterDial, kind_code
from arc.errors import ConfigError, DataError

REPO = Path(__file__).resolve().parents[1]
# sha256 over 4 indoor real samples (seeds 7000-7003, 48x64) and one outdoor (7100, 32x96), every
# array, made by the generator before the dial existed (main @4735eeb): level 1 must stay these bytes.
BEFORE_THE_DIAL = "33dbb24ee4bd51f43e10a671f77ec4c61f7c988559505c896ed66bd03944f12b"


def _digest(**kwargs) -> str:
    h = hashlib.sha256()
    samples = [render_sample("indoor", "real", 7000 + s, 48, 64, **kwargs) for s in range(4)]
    samples.append(render_sample("outdoor", "real", 7100, 32, 96, **kwargs))
    for smp in samples:
        for a in (smp.rgb, smp.depth, smp.clutter_mask, smp.clean_rgb, smp.clean_depth, smp.clutter_kind):
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_default_level_is_the_generator_before_the_dial_byte_for_byte():
    assert _digest() == BEFORE_THE_DIAL
    assert _digest(clutter_strength=1.0) == BEFORE_THE_DIAL


def test_level_0_has_no_clutter_the_real_image_is_its_twin():
    for seed in range(4):
        s = render_sample("indoor", "real", seed, 48, 64, clutter_strength=0.0)
        assert not s.clutter_mask.any() and not s.clutter_kind.any() and s.info["clutter_items"] == []
        np.testing.assert_array_equal(s.rgb, s.clean_rgb)
        np.testing.assert_array_equal(s.depth, s.clean_depth)


def test_dial_settings():
    assert (ClutterDial(0.0).coverage_scale, ClutterDial(0.5).coverage_scale, ClutterDial(3.0).coverage_scale) == (0.0, 0.5, 1.0)
    assert (ClutterDial(0.5).light_gain, ClutterDial(1.0).light_gain) == (1.0, 1.0)
    assert ClutterDial(2.0).light_gain == pytest.approx(-0.6) and ClutterDial(3.0).light_gain == pytest.approx(-0.9)
    assert (ClutterDial(1.0).spot_kind, ClutterDial(2.0).spot_kind) == ("light_pool", "shadow")
    assert ClutterDial(1.0).off_floor_share == 0.0 and ClutterDial(4.0).off_floor_share == pytest.approx(0.75)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="clutter_strength"):
            ClutterDial(bad)


def test_half_level_covers_less_and_strong_levels_turn_the_spots_into_flat_shadows():
    cover = {level: np.mean([render_sample("indoor", "real", s, 48, 64, clutter_strength=level).clutter_mask.mean()
                             for s in range(10)]) for level in (0.5, 1.0)}
    assert cover[0.5] < 0.75 * cover[1.0]
    shadowed = 0
    for seed in range(10):
        strong = render_sample("indoor", "real", seed, 48, 64, clutter_strength=3.0)
        assert "light_pool" not in strong.info["clutter_items"]
        shadow = strong.clutter_kind == kind_code("shadow")
        if not shadow.any():
            continue
        shadowed += 1
        # darker than the same surfaces in the twin
        assert strong.rgb[shadow].astype(float).mean() < strong.clean_rgb[shadow].astype(float).mean() - 10
        # flat: the ground truth under a shadow is the surface's
        both = shadow & (strong.depth > 0) & (strong.clean_depth > 0)
        np.testing.assert_array_equal(strong.depth[both], strong.clean_depth[both])
    assert shadowed >= 4


def test_generate_records_a_non_default_level_and_refuses_a_negative_one(tmp_path):
    counts = {"syn_train": 1, "real_train": 1, "real_val": 0, "real_test": 0}
    meta = generate_benchmark("indoor", tmp_path / "a", height=16, width=24, counts=counts, seed=0)
    assert "clutter_strength" not in meta and "clutter_strength" not in json.loads((tmp_path / "a" / "meta.json").read_text())
    meta = generate_benchmark("indoor", tmp_path / "b", height=16, width=24, counts=counts, seed=0, clutter_strength=2.0)
    assert meta["clutter_strength"] == 2.0
    with pytest.raises(DataError, match="clutter_strength"):
        generate_benchmark("indoor", tmp_path / "c", height=16, width=24, counts=counts, seed=0, clutter_strength=-1.0)
    assert not (tmp_path / "c").exists()


def test_schema_accepts_the_dial_and_names_a_bad_value():
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    ok = copy.deepcopy(params)
    ok["data"]["synthrooms"]["indoor"]["clutter_strength"] = 2.5
    validate_params(ok, "params.yaml", check_paths=False)
    bad = copy.deepcopy(params)
    bad["data"]["synthrooms"]["indoor"]["clutter_strength"] = -1
    with pytest.raises(ConfigError, match="clutter_strength"):
        validate_params(bad, "params.yaml", check_paths=False)


def test_one_look_is_the_dial_as_before_and_looks_do_not_move_the_spots():
    assert _digest(clutter_looks=1) == BEFORE_THE_DIAL
    seen = set()
    for seed in range(24):
        plain = render_sample("indoor", "real", seed, 48, 64, clutter_strength=3.0)
        looks = render_sample("indoor", "real", seed, 48, 64, clutter_strength=3.0, clutter_looks=4)
        # the look has its own stream: same places, same ground truth, same twin
        for name in ("clutter_mask", "depth", "clean_rgb", "clean_depth"):
            np.testing.assert_array_equal(getattr(plain, name), getattr(looks, name))
        spots = [k for k in looks.info["clutter_items"] if k in SHADOW_LOOKS]
        assert len(set(spots)) <= 1  # one look per image
        if spots:
            seen.add(spots[0])
            where = looks.clutter_kind == kind_code(spots[0])
            if where.any():
                assert looks.rgb[where].astype(float).mean() < looks.clean_rgb[where].astype(float).mean() - 10
    assert seen == set(SHADOW_LOOKS)
    # at level 1 and below there are no shadows, so the looks change nothing
    assert _digest(clutter_looks=4) == BEFORE_THE_DIAL


def test_looks_are_checked_and_recorded(tmp_path):
    for bad in (0, 5, 2.5, True):
        with pytest.raises(ValueError, match="clutter_looks"):
            ClutterDial(3.0, bad)
    counts = {"syn_train": 1, "real_train": 1, "real_val": 0, "real_test": 0}
    meta = generate_benchmark("indoor", tmp_path / "a", height=16, width=24, counts=counts, seed=0,
                              clutter_strength=2.0, clutter_looks=3)
    assert meta["clutter_looks"] == 3
    with pytest.raises(DataError, match="clutter_looks"):
        generate_benchmark("indoor", tmp_path / "b", height=16, width=24, counts=counts, seed=0, clutter_looks=9)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["data"]["synthrooms"]["indoor"]["clutter_looks"] = 0
    with pytest.raises(ConfigError, match="clutter_looks"):
        validate_params(params, "params.yaml", check_paths=False)
