"""The smaller bad inputs of a long run: each ends in one clear line naming what is wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from arc.cli import main
from arc.config import validate_params
from arc.errors import ConfigError, DataError
from arc.evaluation.evaluate import evaluate_folders
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.protocols import get_protocol
from arc.evaluation.results import method_dir, read_per_sample_csv, write_per_sample_csv
from arc.reports.tables import write_main_table
from test_evaluation_fakes import uniform_metrics, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT / "tests" / "fixtures" / "realdata"


@pytest.fixture
def params():
    return yaml.safe_load((ROOT / "params.yaml").read_text())


@pytest.mark.parametrize("key", ["seed", "seeds"])
def test_a_seed_numpy_cannot_take_is_refused_by_the_schema(params, key):
    params[key] = 2**64 if key == "seed" else [0, 2**64]
    with pytest.raises(ConfigError, match=r"is out of range; allowed values: >= 0 and <= 4294967295"):
        validate_params(params, check_paths=False)
    params[key] = 2**32 - 1 if key == "seed" else [0, 2**32 - 1]
    validate_params(params, check_paths=False)
    np.random.seed(2**32 - 1)  # the largest allowed seed seeds numpy


def test_a_newline_in_a_row_label_is_refused_by_the_schema(params):
    row = next(iter(params["rows"]))
    params["rows"][row]["label"] = "mix\n| injected |"
    with pytest.raises(ConfigError, match=f"rows.{row}.label"):
        validate_params(params, check_paths=False)


def test_nan_in_metrics_json_is_one_clear_error_in_the_table(tmp_path):
    root = tmp_path / "results" / "synthrooms-indoor"
    for seed in (0, 1):
        write_fake_run(root, "mix", seed, metrics=uniform_metrics(0.1 + seed))
    path = method_dir(root, 1, "mix") / "metrics.json"
    info = json.loads(path.read_text())
    info["metrics"]["rms"] = float("nan")
    path.write_text(json.dumps(info))  # JSON with NaN, as json.dumps writes it
    with pytest.raises(DataError, match=rf"{path}: metrics.rms = nan; expected a finite number"):
        write_main_table(root, ["mix"], "synthrooms-indoor", tmp_path / "t.csv")
    assert not (tmp_path / "t.csv").exists()


def test_a_cut_per_sample_csv_is_one_clear_error(tmp_path):
    path = tmp_path / "per_sample.csv"
    rows = [{"name": f"f{i}", "n_valid": 10, **{k: 0.5 for k in METRIC_KEYS}} for i in range(3)]
    write_per_sample_csv(path, rows)
    text = path.read_text()
    path.write_text(text[: len(text) - 12])  # cut inside the last row
    with pytest.raises(DataError, match=r"per_sample.csv, line 4: missing or non-numeric values; the file is cut"):
        read_per_sample_csv(path)


def _folders(tmp_path, pred, gt):
    for sub, array in (("pred", pred), ("gt", gt)):
        (tmp_path / sub).mkdir()
        np.save(tmp_path / sub / "a.npy", array)
    return tmp_path / "pred", tmp_path / "gt"


def test_arc_evaluate_refuses_complex_predictions(tmp_path, capsys):
    gt = np.full((6, 8), 2.0, np.float32)
    pred_dir, gt_dir = _folders(tmp_path, gt.astype(np.complex64) + 1j, gt)
    assert main(["evaluate", "--pred", str(pred_dir), "--gt", str(gt_dir), "--protocol", "synthrooms-indoor"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a.npy: expected a real-valued numeric depth array, got dtype complex64" in err[0]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "1"])
def test_scale_tolerance_must_be_a_factor_above_one(tmp_path, capsys, value):
    gt = np.full((6, 8), 2.0, np.float32)
    pred_dir, gt_dir = _folders(tmp_path, gt, gt)
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "--pred", str(pred_dir), "--gt", str(gt_dir), "--protocol", "synthrooms-indoor",
              "--scale-tolerance", value])
    assert info.value.code == 2
    assert f"expected a factor > 1 (inf switches the unit check off), got '{value}'" in capsys.readouterr().err
    with pytest.raises(DataError, match="expected a factor > 1"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"), scale_tolerance=float(value))


@pytest.mark.parametrize("broken,why", [("zeros", "no valid pixel: all zero"), ("negative", "negative depth"),
                                        ("nan", "no valid pixel: zero, NaN or inf everywhere")])
def test_unusable_ground_truth_is_blamed_on_the_ground_truth(tmp_path, broken, why):
    good = np.full((6, 8), 2.0, np.float32)
    gt = {"zeros": np.zeros_like(good), "negative": -good, "nan": np.full_like(good, np.nan)}[broken]
    pred_dir, gt_dir = _folders(tmp_path, good, gt)
    with pytest.raises(DataError, match=rf"1 ground-truth maps in {gt_dir} are not usable depth: a.npy \({why}"):
        evaluate_folders(pred_dir, gt_dir, get_protocol("synthrooms-indoor"))


def test_arc_data_names_rgb_files_without_depth(tmp_path, capsys):
    root = tmp_path / "nyu"
    shutil.copytree(REALDATA / "nyu", root)
    shutil.copy(root / "rgb" / "rgb_00050.jpg", root / "rgb" / "rgb_00077.jpg")  # no sync_depth_00077.png
    assert main(["data", "inspect", "--dataset", "nyu", str(root)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {root}: 1 RGB file(s) have no depth map and are left out: rgb/rgb_00077.jpg" in err
