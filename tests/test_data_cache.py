"""Decoded cache: write/open round trip, manifest, DepthDataset items and the eval-only gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from arc.data.cache import build_cache, open_cache, write_cache
from arc.data.dataset import DepthDataset
from arc.data.readers.base import Record
from arc.data.synthrooms import generate_benchmark

FIXTURES = Path(__file__).parent / "fixtures" / "realdata"


@pytest.fixture(scope="module")
def synthrooms_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("sr") / "indoor"
    generate_benchmark("indoor", root, height=16, width=24, counts={"syn_train": 3, "real_test": 4}, seed=2)
    return root


def test_write_and_open_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    records = []
    for i in range(3):
        depth = rng.uniform(0.5, 9.0, (4, 6)).astype(np.float32)
        depth[0] = 0
        records.append(Record(f"s{i}", rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), depth))
    split = write_cache(tmp_path / "bench" / "real_train", iter(records), count=3, benchmark="bench", dataset="nyu",
                        family="indoor", domain="real", split="real_train", height=4, width=6)
    again = open_cache(tmp_path / "bench" / "real_train")
    manifest = json.loads((tmp_path / "bench" / "real_train" / "manifest.json").read_text())
    assert manifest["format"] == "arc-cache/1" and manifest["names"] == ["s0", "s1", "s2"]
    assert manifest["depth_scale"] == pytest.approx(0.001) and manifest["eval_only"] == []
    assert isinstance(again.rgb, np.memmap) and again.rgb.dtype == np.uint8 and again.depth.dtype == np.uint16
    for i, rec in enumerate(records):
        np.testing.assert_array_equal(again.rgb[i], rec.rgb)
        np.testing.assert_allclose(again.depth_m(i), rec.depth, atol=5e-4)
        assert (again.depth_m(i) > 0).sum() == (rec.depth > 0).sum()
    assert len(split) == 3 and not any(p.name.startswith(".") for p in (tmp_path / "bench").iterdir())


def test_synthrooms_cache_and_dataset_eval_gate(synthrooms_root, tmp_path):
    out = tmp_path / "cache" / "synthrooms-indoor"
    build_cache("synthrooms", synthrooms_root, out / "syn_train", split="syn_train")
    test = build_cache("synthrooms", synthrooms_root, out / "real_test", split="real_test")
    m = test.manifest
    assert (m["benchmark"], m["family"], m["domain"], m["split"], m["count"]) == ("synthrooms-indoor", "indoor", "real", "real_test", 4)
    assert m["eval_only"] == ["clutter_mask", "clean_rgb", "clean_depth", "clutter_kind"] and m["max_depth"] == 10.0

    train_view = DepthDataset(out / "real_test")  # what training code sees
    item = train_view[1]
    assert set(item) == {"rgb", "depth", "valid", "index"}
    assert item["rgb"].shape == (3, 16, 24) and item["rgb"].min() >= -1 and item["rgb"].max() <= 1
    assert item["depth"].shape == (1, 16, 24) and item["depth"].dtype == torch.float32
    assert torch.equal(item["valid"], item["depth"] > 0) and item["index"] == 1

    eval_view = DepthDataset(out / "real_test", eval_extras=True)
    extra = eval_view[1]
    assert {"clutter_mask", "clean_rgb", "clean_depth"} <= set(extra)
    assert set(extra["clutter_mask"].unique().tolist()) <= {0.0, 1.0} and extra["clutter_mask"].sum() > 0
    outside = extra["clutter_mask"] == 0
    assert torch.equal(extra["rgb"].expand(3, -1, -1)[outside.expand(3, -1, -1)],
                       extra["clean_rgb"][outside.expand(3, -1, -1)])

    # The decoded arrays equal the PNGs read back by the reader.
    from arc.data.readers import open_reader

    rec = open_reader("synthrooms", synthrooms_root, split="real_test").read("00001")
    np.testing.assert_array_equal(test.rgb[1], rec.rgb)
    np.testing.assert_allclose(test.depth_m(1), rec.depth, atol=1e-6)
    assert DepthDataset(out / "syn_train", eval_extras=True)[0].keys() == item.keys()


def test_real_fixture_cache_with_split_list(tmp_path):
    (tmp_path / "list.txt").write_text("# two frames\nrgb/rgb_00100.jpg\nrgb/rgb_00000.jpg\n")
    split = build_cache("nyu", FIXTURES / "nyu", tmp_path / "nyu-pbrs" / "real_train", list_path=tmp_path / "list.txt",
                        height=24, width=32)
    assert split.names == ["00100", "00000"] and split.rgb.shape == (2, 24, 32, 3)
    assert split.manifest["source"]["preprocess"]["crop"].startswith("nyu rows 45:471")
    for i in range(2):
        d = split.depth_m(i)
        assert 0.5 < (d > 0).mean() < 1.0 and d.max() <= 10.0
    pbrs = build_cache("pbrs", FIXTURES / "pbrs", tmp_path / "nyu-pbrs" / "syn_train", height=24, width=32)
    assert pbrs.manifest["domain"] == "synthetic" and (pbrs.depth_m(0) > 1.4).all()


@pytest.mark.parametrize("entry", ["../outside/rgb.npy", "/etc/rgb.npy", "sub/rgb.npy", ".."])
def test_manifest_array_entries_cannot_leave_the_split_folder(tmp_path, entry):
    from arc.errors import DataError

    rng = np.random.default_rng(0)
    records = [Record("s0", rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), rng.uniform(0.5, 9.0, (4, 6)).astype(np.float32))]
    split_dir = tmp_path / "bench" / "real_train"
    write_cache(split_dir, iter(records), count=1, benchmark="bench", dataset="nyu",
                family="indoor", domain="real", split="real_train", height=4, width=6)
    # A readable array outside the split, so only the path check can refuse it.
    (tmp_path / "bench" / "outside").mkdir()
    np.save(tmp_path / "bench" / "outside" / "rgb.npy", np.load(split_dir / "rgb.npy"))
    manifest = json.loads((split_dir / "manifest.json").read_text())
    manifest["arrays"]["rgb"] = entry
    (split_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"arrays\.rgb = .*expected a file name inside"):
        open_cache(split_dir)
