"""The real-data presets end to end, on real files in the official layouts, at tiny sizes.

`paper-nyu` and `paper-kitti` as shipped (every row they configure, their protocols, their reports),
with only the data paths pointed at folders built from the real samples (tests/realdata_tree.py)
and the sizes shrunk to the smoke preset's (networks, epochs, images, one seed, the Table rho
only). The whole DAG runs with Snakemake: prepare_source (the paper's sampling, with the checks
`arc config validate` makes), build_cache (every reader), every training stage, the evaluation of
every row, and the reports. A reader, the sampling, a protocol or a report that breaks on real
files fails here, in CI, instead of hours into a GPU job.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

import realdata_tree
from arc.data.preprocess import preprocess_record, spec_for
from arc.data.readers import open_reader
from pipeline_copy import ROOT, project_copy, run
from workflow_dag import parse_dry_run

pytestmark = pytest.mark.e2e

METRICS = ["abs_rel", "sq_rel", "rms", "rms_log", "delta1", "delta2", "delta3"]


def tiny_real_preset(preset: str, data: dict, real_size: dict) -> dict:
    """The shipped real-data preset with the smoke preset's sizes and the given data settings."""
    params = yaml.safe_load((ROOT / "configs" / f"{preset}.yaml").read_text())
    smoke = yaml.safe_load((ROOT / "configs" / "smoke.yaml").read_text())
    for key in ("seeds", "models", "optim", "training", "runtime"):
        params[key] = smoke[key]
    params["rho_sweep"] = [params["rho"]]  # the sweep's other branches are the smoke test's business
    params["evaluation"]["bootstrap_samples"] = smoke["evaluation"]["bootstrap_samples"]
    params["evaluation"]["qualitative_examples"] = 1
    for dataset, settings in data.items():
        params["data"][dataset].update(settings)
    params["data"]["real_size"] = real_size
    return params


def _pipeline(tmp_path_factory, preset: str, build_tree, data_counts: dict, real_size: dict):
    root = project_copy(tmp_path_factory.mktemp(preset), preset)
    tree = build_tree(root.parent / "datasets")
    data = {k: {**v, **data_counts.get(k, {})} for k, v in tree.items() if isinstance(v, dict)}
    params = tiny_real_preset(preset, data, real_size)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # The check a user runs first: it must pass and say what it found.
    validate = run(["arc", "config", "validate"], root)
    run(["snakemake", "--cores", "2", "all"], root, timeout=1200)
    return root, params, tree, validate.stdout


@pytest.fixture(scope="module")
def nyu_run(tmp_path_factory):
    counts = {"nyu": {"n_train": 4, "n_val": 2}, "pbrs": {"n_train": 6}}
    return _pipeline(tmp_path_factory, "paper-nyu", realdata_tree.nyu_pbrs_tree, counts, {"height": 24, "width": 32})


@pytest.fixture(scope="module")
def kitti_run(tmp_path_factory):
    counts = {"kitti": {"n_train": 4, "n_val": 2}}
    return _pipeline(tmp_path_factory, "paper-kitti", realdata_tree.kitti_vkitti_tree, counts,
                     {"height": 24, "width": 64})


def _manifest(root, bench, split):
    return json.loads((root / "data" / "cache" / bench / split / "manifest.json").read_text())


def _check_table(root, params, protocol: str, n_images: int, figures: bool = True):
    """Every configured row is in the table, scored under ``protocol`` on ``n_images`` test images."""
    bench, table_name = params["benchmark"], params["reports"]["table"]
    table = pd.read_csv(root / "reports" / f"{table_name}.csv")
    assert set(table["method"].str.replace(r"-rho[0-9.]+$", "", regex=True)) == set(params["rows"])
    assert set(table["protocol"]) == {protocol}
    for metric in METRICS:
        assert all(math.isfinite(v) for v in table[metric]), f"non-finite {metric} in {table_name}.csv"
    for method in table["method"]:
        info = json.loads((root / "results" / bench / "seed0" / method / "metrics.json").read_text())
        assert info["protocol"] == protocol and info["n_images"] == n_images, method
        assert info["n_valid_images"] == n_images, (method, "a test image with no valid pixel under the protocol")
    if figures:
        for name in ("rho_figure", "per_sample_figure", "qualitative_figure"):
            assert (root / "reports" / f"{params['reports'][name]}.png").stat().st_size > 0, name
        assert (root / "reports" / f"{params['reports']['mask_table']}.csv").stat().st_size > 0
    return table


def _check_also_table(root, params, protocol: str, n_images: int, n_rows: int | None = None):
    """The main table under also-protocol ``protocol``, beside the primary one, from each run's metrics.json;
    ``n_images`` scored of ``n_rows`` per-sample rows (default: all)."""
    bench, stem = params["benchmark"], params["reports"]["table"]
    table = pd.read_csv(root / "reports" / f"{stem}.{protocol}.csv")
    assert set(table["protocol"]) == {protocol}
    for _, row in table.iterrows():
        info = json.loads((root / "results" / bench / "seed0" / row["method"] / "metrics.json").read_text())
        block = info["also_protocols"][protocol]
        assert block["n_valid_images"] == n_images, (row["method"], "a test image with no valid pixel")
        for metric in METRICS:
            assert math.isfinite(row[metric]) and row[metric] == pytest.approx(block["metrics"][metric], rel=1e-6)
        per_sample = pd.read_csv(root / "results" / bench / "seed0" / row["method"] / f"per_sample.{protocol}.csv")
        assert len(per_sample) == (n_rows or n_images)
    return table


def test_nyu_pbrs_on_real_files(nyu_run):
    root, params, tree, validated = nyu_run
    bench = "nyu-pbrs"
    for source in ("data.nyu.labeled_mat: 1449 labelled frames", "654 official test frames",
                   "10 frames in 10 scenes; sampled 4 training + 2 validation", "data.pbrs.root: 8 RGB+depth pairs"):
        assert source in validated
    # The paper's sampling on the real lists: validation scenes differ from the training scenes.
    source = json.loads((root / "data" / "source" / bench / "source.json").read_text())
    assert {s: source["splits"][s]["dataset"] for s in source["splits"]} == {
        "syn_train": "pbrs", "real_train": "nyu", "real_val": "nyu", "real_test": "nyu-mat"}
    train, val = (_manifest(root, bench, s)["names"] for s in ("real_train", "real_val"))
    assert len(train) == 4 and len(val) == 2
    assert not {n.rsplit("_", 1)[0] for n in train} & {n.rsplit("_", 1)[0] for n in val}
    assert _manifest(root, bench, "syn_train")["count"] == 6
    test = _manifest(root, bench, "real_test")
    assert test["count"] == tree["real_test_frames"] == 654 and test["height"] == 24 and test["width"] == 32
    # The labelled .mat is read transposed back: the first test frame is the real NYU photo the
    # fixture put there, decoded exactly as the raw-frame reader decodes the same file.
    cached_rgb = np.load(root / "data" / "cache" / bench / "real_test" / "rgb.npy")
    cached_depth = np.load(root / "data" / "cache" / bench / "real_test" / "depth.npy")
    raw = preprocess_record(open_reader("nyu", realdata_tree.FIXTURES / "nyu").read("rgb/rgb_00000.jpg"),
                            spec_for("nyu-mat", 24, 32))
    np.testing.assert_array_equal(cached_rgb[0], raw.rgb)
    np.testing.assert_allclose(cached_depth[0] * test["depth_scale"], raw.depth, atol=1.01e-3)
    # Table 2 under the authors' protocol (1-8 m, pixels pooled over the test set), and beside it the
    # same predictions under nyu-standard (evaluation.also_protocols).
    assert params["evaluation"]["protocol"] == "nyu-paper" and params["evaluation"]["also_protocols"] == ["nyu-standard"]
    paper = _check_table(root, params, "nyu-paper", 654)
    standard = _check_also_table(root, params, "nyu-standard", 654)
    assert standard["method"].tolist() == paper["method"].tolist()
    assert not np.allclose(paper.set_index("method")["abs_rel"], standard.set_index("method")["abs_rel"])
    # The cache already holds the Eigen crop: nyu-standard scores every cached pixel, not a crop of it.
    assert test["source"]["preprocess"]["crop"] == "nyu rows 45:471 cols 41:601"
    for method in standard["method"]:
        info = json.loads((root / "results" / bench / "seed0" / method / "metrics.json").read_text())
        assert info["also_protocols"]["nyu-standard"]["protocol_details"]["crop"] is None, method
    table_name = params["reports"]["table"]
    assert "Primary protocol (evaluation.protocol): `nyu-paper`" in (root / "reports" / f"{table_name}.md").read_text()
    assert "the primary protocol (evaluation.protocol) is `nyu-paper`" in (
        root / "reports" / f"{table_name}.nyu-standard.md").read_text()

    # nyu-standard as the only protocol: only evaluation and reports rerun, and its table has the
    # numbers the also-protocol table had (the same checkpoints, scored by a separate evaluation).
    params["evaluation"]["protocol"] = "nyu-standard"
    del params["evaluation"]["also_protocols"]
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    jobs = parse_dry_run(run(["snakemake", "-n", "-p", "--cores", "1", "all"], root).stdout)
    outputs = [o for outs in jobs.values() for o in outs]
    assert all(o.startswith(("results/", "reports/")) for o in outputs), outputs
    assert sorted(o for o in outputs if o.startswith("results/")) == sorted(
        f"results/{bench}/seed0/{m}" for m in paper["method"])
    assert not any(".nyu-standard." in o for o in outputs)
    table = f"reports/{table_name}.csv"
    run(["snakemake", "--cores", "2", table], root, timeout=900)  # the table needs every row's evaluation
    alone = _check_table(root, params, "nyu-standard", 654, figures=False)
    for metric in METRICS:
        np.testing.assert_allclose(alone[metric], standard[metric], rtol=1e-5, err_msg=metric)


def test_kitti_vkitti_on_real_files(kitti_run):
    root, params, tree, validated = kitti_run
    bench = "kitti-vkitti"
    found_test = "697 frames, all evaluated against their raw LiDAR (velodyne_points + calibration, all present); " \
                 "652 also have annotated depth"
    assert found_test in validated
    assert "Virtual KITTI 1.3.1, 10 frames: clone 2, 15-deg-left 2" in validated
    # Table 3's ground truth is every Eigen frame's raw LiDAR (kitti-eigen-lidar): all 697 are evaluated.
    assert found_test in (root / "logs" / bench / "prepare_source.log").read_text()
    assert tree["without_annotation"] == 45
    test = _manifest(root, bench, "real_test")
    assert test["count"] == 697 and "selection" not in test["source"]
    assert test["full_gt"] == {"file": "full_gt.npz", "source": "kitti-velodyne"}
    # vKITTI's far code is clipped to the 80 m cap for training, never kept as 655 m.
    syn = _manifest(root, bench, "syn_train")
    assert syn["count"] == 10 and syn["max_depth"] == 80.0
    train, val = (_manifest(root, bench, s)["names"] for s in ("real_train", "real_val"))
    assert [n.rsplit("_", 1)[1] for n in train] == ["0000000005", "0000000006", "0000000007", "0000000008"]
    assert not any(n.endswith("_r") for n in train + val)  # the tree holds image_03 too: left camera only
    assert len(val) == 2 and not {n.rsplit("_", 1)[0] for n in train} & {n.rsplit("_", 1)[0] for n in val}
    _check_table(root, params, "kitti-eigen-lidar", 697)
    _check_also_table(root, params, "kitti-eigen-lidar-50", 697)
    _check_also_table(root, params, "kitti-standard", 652, n_rows=697)  # the annotated maps: 45 frames have none
    metrics = json.loads((root / "results" / bench / "seed0" / "mix" / "metrics.json").read_text())
    assert metrics["test_frames"]["skipped"] == 0
    assert metrics["protocol_details"]["ground_truth"] == "kitti-velodyne"
