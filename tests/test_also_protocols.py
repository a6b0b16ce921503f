"""evaluation.also_protocols: predict once, score under the primary protocol and each also-protocol,
and write the main table under each of them beside the primary one."""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from arc.config import load_params, validate_params
from arc.errors import ConfigError, DataError
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.predict import predict_split
from arc.evaluation.protocols import PROTOCOLS, get_protocol
from arc.evaluation.results import load_method_runs
from arc.reports.tables import write_main_table

try:
    from tests.test_evaluation_fakes import uniform_metrics, write_fake_cache, write_fake_run
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_evaluation_fakes import uniform_metrics, write_fake_cache, write_fake_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def params():
    return yaml.safe_load((ROOT / "params.yaml").read_text())  # synthrooms-indoor, an indoor benchmark


# ------------------------------------------------------------------ settings


def _problems(params: dict, also) -> str:
    params["evaluation"]["also_protocols"] = also
    with pytest.raises(ConfigError) as error:
        validate_params(params, "params.yaml")
    return str(error.value)


def test_unknown_protocol_name_is_refused_with_the_allowed_names(params):
    message = _problems(params, ["nyu-standrad"])
    assert "params.yaml: key 'evaluation.also_protocols.0' = 'nyu-standrad' is not allowed" in message
    assert "'nyu-standard'" in message and "'synthrooms-outdoor-garg'" in message


def test_protocol_of_the_other_family_is_refused(params):
    message = _problems(params, ["nyu-standard", "kitti-standard"])
    assert message == ("params.yaml: key 'evaluation.also_protocols.1' = 'kitti-standard' is an outdoor protocol, "
                       "but benchmark 'synthrooms-indoor' is indoor; expected some of nyu-paper, nyu-standard")


def test_duplicate_is_refused(params):
    message = _problems(params, ["nyu-standard", "nyu-paper", "nyu-standard"])
    assert message == ("params.yaml: key 'evaluation.also_protocols' lists 'nyu-standard' twice; "
                       "expected each protocol at most once")


def test_primary_protocol_is_refused(params):
    message = _problems(params, ["synthrooms-indoor"])
    assert "key 'evaluation.also_protocols.0' = 'synthrooms-indoor' is the primary protocol" in message


def test_a_list_is_expected(params):
    assert "key 'evaluation.also_protocols'" in _problems(params, "nyu-standard")


def test_valid_list_and_default(params):
    validate_params(copy.deepcopy(params))  # absent: none
    params["evaluation"]["also_protocols"] = ["nyu-standard", "nyu-paper"]
    validate_params(params)


def test_schema_knows_every_protocol():
    schema = json.loads((ROOT / "arc" / "params.schema.json").read_text())
    names = schema["properties"]["evaluation"]["properties"]["also_protocols"]["items"]["enum"]
    assert sorted(names) == sorted(PROTOCOLS)


def test_paper_nyu_reports_nyu_paper_with_nyu_standard_beside_it():
    nyu = load_params(ROOT / "configs" / "paper-nyu.yaml", check_paths=False)
    assert nyu["evaluation"]["protocol"] == "nyu-paper"
    assert nyu["evaluation"]["also_protocols"] == ["nyu-standard"]
    kitti = load_params(ROOT / "configs" / "paper-kitti.yaml", check_paths=False)
    # Table 3 under the comparison's protocol (raw LiDAR), its 50 m cap and the annotated maps beside it
    assert kitti["evaluation"]["protocol"] == "kitti-eigen-lidar" and kitti["data"]["kitti"]["lidar_gt"] is True
    assert kitti["evaluation"]["also_protocols"] == ["kitti-eigen-lidar-50", "kitti-standard"]
    for preset in sorted((ROOT / "configs").glob("*.yaml")):
        if preset.stem not in ("paper-nyu", "paper-kitti"):
            assert not yaml.safe_load(preset.read_text())["evaluation"].get("also_protocols"), preset


def _generator():
    spec = importlib.util.spec_from_file_location("make_dvc_yaml", ROOT / "workflow" / "make_dvc_yaml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dvc_evaluate_params_unchanged_without_also_protocols_and_tables_declared_with_them():
    generator = _generator()
    demo = generator.build(load_params(ROOT / "params.yaml", check_paths=False))["stages"]
    evaluate = [s for name, s in demo.items() if name.startswith("evaluate")]
    assert evaluate and all(s["params"] == ["runtime", "evaluation.protocol"] for s in evaluate)
    assert not any(".synthrooms" in str(o) or ".nyu" in str(o) for o in demo["report_table"]["outs"])

    nyu_params = load_params(ROOT / "configs" / "paper-nyu.yaml", check_paths=False)
    nyu = generator.build(nyu_params)["stages"]
    evaluate = [s for name, s in nyu.items() if name.startswith("evaluate-")]
    assert evaluate and all(s["params"] == ["runtime", "evaluation.protocol", "evaluation.also_protocols"] for s in evaluate)
    outs = [next(iter(o)) if isinstance(o, dict) else o for o in nyu["report_table"]["outs"]]
    table = nyu_params["reports"]["table"]
    assert [o for o in outs if "nyu-standard" in o] == [f"reports/{table}.nyu-standard.{ext}" for ext in ("csv", "md", "json")]


# ------------------------------------------------------------------ scoring

H, W = 8, 12  # Eigen crop at 8x12: rows 0..6, cols 0..10 (row 7 and col 11 are outside)


class FixedDepth(torch.nn.Module):
    """Predicts the given depth maps (metres, N x H x W) in order, one batch after the other."""

    attention = None  # no A: no mask, no rho

    def __init__(self, depth_m: np.ndarray, max_depth: float = 10.0):
        super().__init__()
        self.unit = torch.from_numpy(depth_m.astype(np.float32) / (max_depth / 2.0) - 1.0)[:, None]
        self.done = 0

    def forward(self, x, hard=None):
        out = self.unit[self.done:self.done + len(x)]
        self.done += len(x)
        return {"depth_unit": out, "mask": None}


def _tiny_split(tmp_path: Path, cache_crop: str | None = None) -> tuple[Path, np.ndarray]:
    """Two images of 2 m with two wrong pixels, each seen by only one of nyu-paper / nyu-standard.

    Image 0: predicted 4 m at (7, 11), outside the Eigen crop, where the truth is 2 m.
    Image 1: truth 9 m at (0, 0), inside the crop but beyond nyu-paper's 8 m; predicted 2 m.
    """
    split = write_fake_cache(tmp_path / "cache" / "real_test", n=2, height=H, width=W, with_clutter=False)
    depth = np.full((2, H, W), 2000, dtype=np.uint16)  # 1 unit = 1 mm
    depth[1, 0, 0] = 9000
    np.save(split / "depth.npy", depth)
    if cache_crop:
        manifest = json.loads((split / "manifest.json").read_text())
        manifest["source"] = {"preprocess": {"crop": cache_crop}}
        (split / "manifest.json").write_text(json.dumps(manifest))
    pred = np.full((2, H, W), 2.0)
    pred[0, 7, 11] = 4.0
    return split, pred


def _predict(split: Path, pred: np.ndarray, out: Path) -> dict:
    return predict_split(FixedDepth(pred), split, out, method="mix", seed=0, protocol=get_protocol("nyu-paper"),
                         also_protocols=[get_protocol("nyu-standard")], batch_size=2)


def _per_sample(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_one_prediction_scored_under_both_protocols_by_hand(tmp_path):
    split, pred = _tiny_split(tmp_path)
    out = tmp_path / "results" / "seed0" / "mix"
    info = _predict(split, pred, out)
    assert json.loads((out / "metrics.json").read_text()) == info

    # nyu-paper: pixels pooled over the test set, 1 < gt < 8, no crop: image 0 has 96 pixels, one
    # with |4 - 2| / 2 = 1; image 1 has 95 (its 9 m pixel is out of range), all right.
    assert info["protocol"] == "nyu-paper" and info["n_valid_images"] == 2
    assert info["metrics"]["abs_rel"] == pytest.approx(1 / 191, rel=1e-5)
    assert info["metrics"]["rms"] == pytest.approx(np.sqrt(4 / 191), rel=1e-5)
    assert info["metrics"]["delta1"] == pytest.approx(190 / 191, rel=1e-6)
    assert [(r["name"], int(r["n_valid"])) for r in _per_sample(out / "per_sample.csv")] == [("img000", 96), ("img001", 95)]

    # nyu-standard: Eigen crop (7 x 11 = 77 pixels), gt up to 10 m, per-image metrics averaged:
    # image 0's wrong pixel is cut away (0 error); image 1's 9 m pixel counts: |2 - 9| / 9 over 77.
    block = info["also_protocols"]["nyu-standard"]
    assert list(info["also_protocols"]) == ["nyu-standard"]
    assert block["n_valid_images"] == 2 and block["per_sample"] == "per_sample.nyu-standard.csv"
    assert block["protocol_details"] == get_protocol("nyu-standard").summary()
    assert block["metrics"]["abs_rel"] == pytest.approx((0 + 7 / 9 / 77) / 2, rel=1e-5)
    assert block["metrics"]["rms"] == pytest.approx((0 + np.sqrt(49 / 77)) / 2, rel=1e-5)
    assert block["metrics"]["delta1"] == pytest.approx((1 + 76 / 77) / 2, rel=1e-6)
    rows = _per_sample(out / "per_sample.nyu-standard.csv")
    assert [(r["name"], int(r["n_valid"])) for r in rows] == [("img000", 77), ("img001", 77)]
    assert float(rows[0]["abs_rel"]) == 0.0
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "per_sample.csv", "per_sample.nyu-standard.csv", "pred"]


def test_frames_cached_inside_the_eigen_crop_are_not_cropped_again(tmp_path):
    """The NYU readers cache rows 45:471 cols 41:601: nyu-standard then scores every cached pixel."""
    split, pred = _tiny_split(tmp_path, cache_crop="nyu rows 45:471 cols 41:601")
    info = _predict(split, pred, tmp_path / "r")
    block = info["also_protocols"]["nyu-standard"]
    assert block["protocol_details"]["crop"] is None
    # Image 0's wrong pixel now counts (1 / 96); image 1: 7/9 over 96 pixels.
    assert block["metrics"]["abs_rel"] == pytest.approx((1 / 96 + 7 / 9 / 96) / 2, rel=1e-5)
    assert info["metrics"]["abs_rel"] == pytest.approx(1 / 191, rel=1e-5)  # nyu-paper has no crop either way


def test_without_also_protocols_the_results_folder_is_as_before(tmp_path):
    split, pred = _tiny_split(tmp_path)
    info = predict_split(FixedDepth(pred), split, tmp_path / "r", method="mix", seed=0,
                         protocol=get_protocol("nyu-paper"), batch_size=2)
    assert "also_protocols" not in info
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["metrics.json", "per_sample.csv", "pred"]


def test_repeated_or_primary_also_protocol_is_refused(tmp_path):
    split, pred = _tiny_split(tmp_path)
    for also in (["nyu-paper"], ["nyu-standard", "nyu-standard"]):
        with pytest.raises(ValueError, match="must differ"):
            predict_split(FixedDepth(pred), split, tmp_path / "r", method="mix", seed=0,
                          protocol=get_protocol("nyu-paper"), also_protocols=[get_protocol(n) for n in also])


def test_readers_get_a_run_under_either_protocol(tmp_path):
    split, pred = _tiny_split(tmp_path)
    _predict(split, pred, tmp_path / "results" / "seed0" / "mix")
    paper, = load_method_runs(tmp_path / "results", "mix", "nyu-paper")
    standard, = load_method_runs(tmp_path / "results", "mix", "nyu-standard")
    assert paper.info["protocol"] == "nyu-paper" and "primary_protocol" not in paper.info
    assert standard.info["protocol"] == "nyu-standard" and standard.info["primary_protocol"] == "nyu-paper"
    assert standard.metrics["abs_rel"] == pytest.approx((7 / 9 / 77) / 2, rel=1e-5)
    assert [r["n_valid"] for r in standard.per_sample()] == [77, 77]
    assert [r["n_valid"] for r in paper.per_sample()] == [96, 95]
    with pytest.raises(DataError, match=r"evaluated with protocol 'nyu-paper' \(and also 'nyu-standard'\), "
                                        r"but 'synthrooms-indoor' was requested"):
        load_method_runs(tmp_path / "results", "mix", "synthrooms-indoor")


# ------------------------------------------------------------------ tables

METHODS = ["mix", "arc_full-rho0.85"]


def _results(root: Path, also: bool = True) -> Path:
    """Two methods x two seeds; under nyu-standard every number is 0.5 more than under nyu-paper."""
    for i, method in enumerate(METHODS):
        for seed in (0, 1):
            value = 0.1 * (i + 1) + 0.01 * seed
            path = write_fake_run(root, method, seed, metrics=uniform_metrics(value), protocol="nyu-paper",
                                  benchmark="nyu-pbrs", rho=0.85 if "rho" in method else None)
            if also:
                info = json.loads((path / "metrics.json").read_text())
                info["also_protocols"] = {"nyu-standard": {
                    "protocol_details": get_protocol("nyu-standard").summary(), "n_valid_images": 1,
                    "metrics": uniform_metrics(value + 0.5), "per_sample": "per_sample.nyu-standard.csv"}}
                (path / "metrics.json").write_text(json.dumps(info))
    return root


def test_main_table_is_written_under_each_also_protocol_beside_the_primary(tmp_path):
    plain = tmp_path / "plain" / "table2.csv"
    write_main_table(_results(tmp_path / "r0", also=False), METHODS, "nyu-paper", plain)
    out = tmp_path / "reports" / "table2.csv"
    write_main_table(_results(tmp_path / "r1"), METHODS, "nyu-paper", out, also_protocols=["nyu-standard"])
    assert sorted(p.name for p in plain.parent.iterdir()) == ["table2.csv", "table2.json", "table2.md",
                                                              "table2_metrics.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "table2.csv", "table2.json", "table2.md", "table2.nyu-standard.csv", "table2.nyu-standard.json",
        "table2.nyu-standard.md", "table2_metrics.json"]

    # The primary table is the same as without also-protocols, plus a note on where the other is.
    assert out.read_bytes() == plain.read_bytes()
    assert (out.parent / "table2_metrics.json").read_bytes() == (plain.parent / "table2_metrics.json").read_bytes()
    primary_md = out.with_suffix(".md").read_text().splitlines()
    note = "Primary protocol (evaluation.protocol): `nyu-paper`. The same table under `nyu-standard` in table2.nyu-standard.md."
    assert note in primary_md
    assert [line for line in primary_md if line != note] == plain.with_suffix(".md").read_text().splitlines()
    payload = json.loads(out.with_suffix(".json").read_text())
    assert payload.pop("also_protocols") == ["nyu-standard"]
    assert payload == json.loads(plain.with_suffix(".json").read_text())

    # Beside it: the same rows under nyu-standard (seed means 0.5 higher), saying which protocol is primary.
    also = pd.read_csv(out.parent / "table2.nyu-standard.csv")
    primary = pd.read_csv(out)
    assert also["method"].tolist() == METHODS and set(also["protocol"]) == {"nyu-standard"}
    for key in METRIC_KEYS:
        np.testing.assert_allclose(also[key], primary[key] + 0.5, rtol=1e-6)
        np.testing.assert_allclose(also[f"{key}_std"], primary[f"{key}_std"], rtol=1e-5)
    md = (out.parent / "table2.nyu-standard.md").read_text()
    assert md.startswith("# Table 2: nyu-pbrs, protocol `nyu-standard`")
    assert ("the same predictions scored under `nyu-standard`; the primary protocol (evaluation.protocol) is "
            "`nyu-paper`, in table2.md.") in md
    assert "| mix training | ours (nyu-pbrs) | 0.605 ± 0.007 |" in md
    also_payload = json.loads((out.parent / "table2.nyu-standard.json").read_text())
    assert also_payload["primary_protocol"] == "nyu-paper" and also_payload["protocol"]["name"] == "nyu-standard"


def test_report_table_cli_takes_also_protocols_from_params(tmp_path, capsys):
    from arc.cli import main

    results = _results(tmp_path / "results")
    params = {"benchmark": "nyu-pbrs", "rho": 0.85,
              "rows": {"mix": {"label": "mix training", "modules": []},
                       "arc_full": {"label": "ARC: full", "modules": ["A", "T", "I"]}},
              "evaluation": {"protocol": "nyu-paper", "also_protocols": ["nyu-standard"]}}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "reports" / "table2.csv"
    assert main(["report", "table", "--params", str(tmp_path / "params.yaml"), "--results", str(results),
                 "--methods", *METHODS, "--out", str(out)]) == 0
    assert "the same table under nyu-standard beside it" in capsys.readouterr().out
    assert set(pd.read_csv(out.parent / "table2.nyu-standard.csv")["protocol"]) == {"nyu-standard"}
    # Results scored without the also-protocol: one clear error naming the file.
    assert main(["report", "table", "--params", str(tmp_path / "params.yaml"), "--results",
                 str(_results(tmp_path / "plain", also=False)), "--methods", *METHODS, "--out", str(out)]) != 0
    assert "plain/seed0/mix/metrics.json: evaluated with protocol 'nyu-paper', but 'nyu-standard' was requested" in (
        capsys.readouterr().err)
    assert main(["report", "table", "--params", str(tmp_path / "params.yaml"), "--results", str(results),
                 "--methods", *METHODS, "--also-protocol", "nyu-paper", "--out", str(out)]) != 0
    assert "--also-protocol lists 'nyu-paper', the primary protocol" in capsys.readouterr().err


# ------------------------------------------------------------------ workflow


def test_snakemake_and_dvc_declare_the_also_protocol_tables(tmp_path):
    """A SynthRooms preset with an also-protocol (paper-nyu's is in tests/test_workflow_sync.py)."""
    import subprocess
    import sys

    from pipeline_copy import project_copy
    from workflow_dag import dvc_stages, snakemake_jobs

    work = project_copy(tmp_path / "work", "smoke")
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["evaluation"]["also_protocols"] = ["nyu-standard"]
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    subprocess.run([sys.executable, str(work / "workflow" / "make_dvc_yaml.py")], cwd=work, check=True)
    snake, dvc = snakemake_jobs(work, "all"), dvc_stages(work)
    assert snake == dvc
    table = params["reports"]["table"]
    report_table = next(outs for command, outs in snake.items() if "report_table.py" in command)
    assert [o for o in report_table if ".nyu-standard." in o] == [
        f"reports/{table}.nyu-standard.{ext}" for ext in ("csv", "json", "md")]
