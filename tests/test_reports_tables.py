"""Table 2/3 and Table 4 writers on small fake result sets in the documented layout."""

import json

import numpy as np
import pandas as pd
import pytest

from arc.cli import main
from arc.errors import DataError
from arc.evaluation.depth_io import write_mask_png
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.protocols import get_protocol
from arc.evaluation.results import method_dir
from arc.reports.methods import table_methods
from arc.reports.regions import build_table4
from arc.reports.tables import write_main_table, write_table4

try:
    from tests.test_evaluation_fakes import open_split, uniform_metrics, write_fake_cache, write_fake_run
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_evaluation_fakes import open_split, uniform_metrics, write_fake_cache, write_fake_run

PARAMS = {
    "benchmark": "synthrooms-indoor",
    "rho": 0.85,
    "rows": {
        "syn_only": {"label": "syn only", "modules": []},
        "real_only": {"label": "real only", "modules": []},
        "mix": {"label": "mix training", "modules": []},
        "arc_t": {"label": "ARC: T", "modules": ["T"]},
        "arc_a": {"label": "ARC: A", "modules": ["A"]},
        "arc_at": {"label": "ARC: A&T", "modules": ["A", "T"]},
        "arc_ai": {"label": "ARC: A&I", "modules": ["A", "I"]},
        "arc_full": {"label": "ARC: full", "modules": ["A", "T", "I"]},
    },
    "evaluation": {"protocol": "synthrooms-indoor", "bootstrap_samples": 200, "qualitative_examples": 3},
}
METHODS = table_methods(PARAMS)


@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results" / "synthrooms-indoor"
    for i, method in enumerate(METHODS):
        for seed in (0, 1, 2):
            has_a = "-rho" in method
            write_fake_run(root, method, seed, metrics=uniform_metrics(0.1 * (i + 1) + 0.01 * seed),
                           rho=0.85 if has_a else None, keep_rate=0.8 if has_a else None,
                           mask_iou=0.3 + 0.1 * seed if has_a else None)
    return root


def test_table_methods_follow_the_workflow_names():
    assert METHODS == ["syn_only", "real_only", "mix", "arc_t", "arc_a-rho0.85", "arc_at-rho0.85",
                       "arc_ai-rho0.85", "arc_full-rho0.85", "oracle_declutter", "oracle_mask",
                       "oracle_flat_mask", "oracle_flat_mask_t"]


def test_the_street_benchmark_has_no_flat_oracle_rows():
    from arc.dag import oracle_methods

    street = {**PARAMS, "benchmark": "synthrooms-outdoor"}
    assert table_methods(street)[-2:] == ["oracle_declutter", "oracle_mask"]  # its clutter has no flat kind
    assert list(oracle_methods(street)) == ["oracle_declutter", "oracle_mask"]
    assert oracle_methods(PARAMS)["oracle_flat_mask_t"] == ("arc_t", None)
    assert oracle_methods(PARAMS)["oracle_flat_mask"] == ("arc_full", 0.85)


def test_main_table_rows_columns_and_seed_statistics(results, tmp_path):
    out = tmp_path / "reports" / "table2.csv"
    write_main_table(results, METHODS, "synthrooms-indoor", out, params=PARAMS)
    table = pd.read_csv(out)
    assert list(table.columns[:19]) == ["method", "label", *METRIC_KEYS, *[f"{k}_std" for k in METRIC_KEYS],
                                        "protocol", "dataset", "n_seeds"]
    assert table["method"].tolist() == METHODS
    assert table["label"].tolist()[-5:] == ["ARC: full", "oracle declutter", "oracle mask (true clutter as A)",
                                            "oracle flat mask (true flat clutter as A)",
                                            "oracle flat mask on ARC: T (true flat clutter removed, T's D)"]
    # Seeds give value, value + 0.01, value + 0.02: mean + 0.01, sample std 0.01.
    for i, (_, row) in enumerate(table.iterrows()):
        for key in METRIC_KEYS:
            assert row[key] == pytest.approx(0.1 * (i + 1) + 0.01, abs=1e-6)
            assert row[f"{key}_std"] == pytest.approx(0.01, abs=1e-6)
    assert set(table["n_seeds"]) == {3} and set(table["protocol"]) == {"synthrooms-indoor"}
    assert set(table["dataset"]) == {"synthrooms-indoor"}
    full = table[table["method"] == "arc_full-rho0.85"].iloc[0]
    assert full["mask_iou"] == pytest.approx(0.4) and full["keep_rate"] == pytest.approx(0.8)
    assert pd.isna(table[table["method"] == "mix"].iloc[0]["mask_iou"])

    md = out.with_suffix(".md").read_text()
    assert "Different dataset" in md and "NYUv2" in md
    assert "| ARC: full | ours (synthrooms-indoor) | 0.810 ± 0.010 |" in md
    assert "|  | paper (NYUv2) | 0.186 | 0.175 | 0.710 | 0.250 | 0.712 | 0.917 | 0.977 |" in md
    assert "T2Net" in md and "DORN" in md  # peers, paper only
    payload = json.loads(out.with_suffix(".json").read_text())
    assert payload["embedded_benchmark"] is True and payload["paper_table"] == "table2"
    assert [r["method"] for r in payload["rows"]] == METHODS


def test_headline_metrics_json_is_keyed_by_row_without_rho(results, tmp_path):
    out = tmp_path / "table2.csv"
    table = write_main_table(results, METHODS, "synthrooms-indoor", out, params=PARAMS)
    metrics = json.loads((tmp_path / "table2_metrics.json").read_text())
    assert list(metrics) == ["syn_only", "real_only", "mix", "arc_t", "arc_a", "arc_at", "arc_ai", "arc_full",
                             "oracle_declutter", "oracle_mask", "oracle_flat_mask",
                             "oracle_flat_mask_t"]
    full = table[table["method"] == "arc_full-rho0.85"].iloc[0]
    assert metrics["arc_full"] == {"abs_rel": pytest.approx(full["abs_rel"]), "rms": pytest.approx(full["rms"]),
                                   "rms_log": pytest.approx(full["rms_log"]), "delta1": pytest.approx(full["delta1"]),
                                   "n_seeds": 3, "rho": 0.85}
    assert "rho" not in metrics["mix"]


def test_outdoor_protocol_compares_with_table3(tmp_path):
    root = tmp_path / "results"
    write_fake_run(root, "mix", 0, metrics=uniform_metrics(0.2), protocol="kitti-standard", benchmark="kitti-vkitti")
    out = tmp_path / "table3.csv"
    write_main_table(root, ["mix"], "kitti-standard", out, params=PARAMS)
    md = out.with_suffix(".md").read_text()
    assert "Table 3" in md and "4.751" in md and "Different dataset" not in md  # paper's KITTI mix RMS
    assert pd.read_csv(out)["n_seeds"].tolist() == [1] and pd.isna(pd.read_csv(out)["rms_std"][0])


def test_table_errors_on_missing_method_and_protocol_mismatch(results, tmp_path):
    with pytest.raises(DataError, match="no results for methods \\['arc_full-rho0.9'\\]"):
        write_main_table(results, ["mix", "arc_full-rho0.9"], "synthrooms-indoor", tmp_path / "t.csv")
    table = write_main_table(results, ["mix", "arc_full-rho0.9"], "synthrooms-indoor", tmp_path / "t.csv",
                             allow_missing=True)
    assert table["method"].tolist() == ["mix"]
    with pytest.raises(DataError, match="evaluated with protocol 'synthrooms-indoor'"):
        write_main_table(results, ["mix"], "nyu-standard", tmp_path / "t.csv")


def test_report_table_cli_takes_methods_and_protocol_from_params(results, tmp_path, capsys):
    import yaml

    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump(PARAMS))
    out = tmp_path / "reports" / "table2.csv"
    assert main(["report", "table", "--params", str(params_path), "--results", str(results), "--out", str(out)]) == 0
    assert pd.read_csv(out)["method"].tolist() == METHODS
    assert out.with_suffix(".md").is_file() and out.with_suffix(".json").is_file()


def test_report_table_counts_only_the_seeds_the_settings_name(results, tmp_path, capsys):
    """Issue 28: results of seeds dropped from the settings are ignored (and the log says so)."""
    import yaml

    params_path = tmp_path / "params.yaml"
    params_path.write_text(yaml.safe_dump({**PARAMS, "seeds": [1]}))
    out = tmp_path / "reports" / "table2.csv"
    assert main(["report", "table", "--params", str(params_path), "--results", str(results), "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["n_seeds"]) == {1}
    assert "ignoring the results of seeds [0, 2]" in capsys.readouterr().err
    params_path.write_text(yaml.safe_dump({**PARAMS, "seeds": [0, 1, 2]}))
    assert main(["report", "table", "--params", str(params_path), "--results", str(results), "--out", str(out)]) == 0
    assert set(pd.read_csv(out)["n_seeds"]) == {3}


# ---------------------------------------------------------------- Table 4


@pytest.fixture
def table4_setup(tmp_path):
    """Two seeds. ARC: exact where its mask removed pixels (left half), +20 % where kept.
    mix: +10 % (seed 0) / +30 % (seed 1) everywhere."""
    split_dir = write_fake_cache(tmp_path / "cache" / "real_test", n=4, height=8, width=12)
    split = open_split(split_dir)
    root = tmp_path / "results"
    keep = np.zeros((8, 12), bool)
    keep[:, 6:] = True
    for seed, mix_factor in ((0, 1.1), (1, 1.3)):
        arc_dir = write_fake_run(root, "arc_full-rho0.85", seed, metrics=uniform_metrics(0.1), rho=0.85,
                                 keep_rate=0.5, mask_iou=1 / 3)
        mix_dir = write_fake_run(root, "mix", seed, metrics=uniform_metrics(0.1))
        info = json.loads((arc_dir / "metrics.json").read_text())  # evaluation's soft-mask statistics
        info.update(mask_logit_auc=0.6 + 0.1 * seed, mask_iou_appearance=0.25)
        (arc_dir / "metrics.json").write_text(json.dumps(info))
        for sub in (arc_dir / "pred", arc_dir / "mask", mix_dir / "pred"):
            sub.mkdir()
        for i, name in enumerate(split.names):
            gt = split.depth_m(i)
            np.save(arc_dir / "pred" / f"{name}.npy", np.where(keep, gt * 1.2, gt).astype(np.float16))
            np.save(mix_dir / "pred" / f"{name}.npy", (gt * mix_factor).astype(np.float16))
            write_mask_png(arc_dir / "mask" / f"{name}.png", keep)
    return root, split_dir


def _row(table, region, role):
    return table[(table["region"] == region) & (table["method_role"] == role)].iloc[0]


def test_table4_inside_outside_arc_mask_and_true_clutter(table4_setup, tmp_path):
    root, split_dir = table4_setup
    protocol = get_protocol("synthrooms-indoor")
    table = build_table4(root, split_dir, protocol, arc_method="arc_full-rho0.85", params=PARAMS)
    assert table["region"].tolist() == [r for r in ("arc_removed", "arc_kept", "clutter", "clutter_free") for _ in range(3)]
    assert table["method_role"].tolist() == ["base", "arc", "delta"] * 4
    tol = dict(abs=2e-3)  # float16 storage
    removed_mix, removed_arc = _row(table, "arc_removed", "base"), _row(table, "arc_removed", "arc")
    assert removed_arc["abs_rel"] == pytest.approx(0.0, **tol)
    assert removed_mix["abs_rel"] == pytest.approx(0.2, **tol)  # mean of 0.1 and 0.3
    assert removed_mix["abs_rel_std"] == pytest.approx(np.std([0.1, 0.3], ddof=1), **tol)
    assert _row(table, "arc_removed", "delta")["abs_rel"] == pytest.approx(-0.2, **tol)
    assert _row(table, "arc_kept", "arc")["abs_rel"] == pytest.approx(0.2, **tol)
    assert _row(table, "arc_kept", "delta")["abs_rel"] == pytest.approx(0.0, **tol)
    assert _row(table, "clutter", "arc")["abs_rel"] == pytest.approx(0.0, **tol)  # clutter lies in the removed half
    assert _row(table, "arc_kept", "arc")["delta1"] == pytest.approx(1.0)
    # Removed = left 6 columns; clutter = rows 4-7, columns 0-3: IoU = 16 / 48.
    assert removed_arc["mask_iou"] == pytest.approx(1 / 3) and removed_arc["keep_rate"] == pytest.approx(0.5)
    assert pd.isna(removed_mix["mask_iou"])
    assert removed_arc["mask_logit_auc"] == pytest.approx(0.65) and removed_arc["mask_iou_appearance"] == pytest.approx(0.25)
    assert pd.isna(removed_mix["mask_logit_auc"])
    assert set(table["n_images"]) == {4} and set(table["n_seeds"]) == {2}

    out = tmp_path / "table4.csv"
    write_table4(table, protocol, out)
    assert len(pd.read_csv(out)) == 12
    md = out.with_suffix(".md").read_text()
    assert "Inside ARC's mask" in md and "TRUE clutter" in md and "↓0.200" in md
    assert "paper: ARC: full (NYUv2)" in md and "0.206" in md and "IoU" in md
    assert f"AUC of A's logits against the clutter 0.650 ± {np.std([0.6, 0.7], ddof=1):.3f}" in md


def test_table4_needs_masks(table4_setup):
    root, split_dir = table4_setup
    with pytest.raises(DataError, match="no mask/ folder"):
        build_table4(root, split_dir, get_protocol("synthrooms-indoor"), arc_method="mix", baseline_method="mix")
    import shutil

    shutil.rmtree(method_dir(root, 1, "mix"))
    table = build_table4(root, split_dir, get_protocol("synthrooms-indoor"), arc_method="arc_full-rho0.85")
    assert set(table["n_seeds"]) == {1}  # only seeds with both methods


def test_table4_reports_the_fraction_of_each_clutter_kind_that_a_removes(table4_setup, tmp_path):
    from arc.data.synthrooms.clutter import CLUTTER_KINDS

    root, split_dir = table4_setup
    kinds = np.zeros((4, 8, 12), np.uint8)
    kinds[:, 4:, :4] = CLUTTER_KINDS.index("light_pool")  # inside ARC's removed half (columns 0-5)
    kinds[:, 4:, 4:8] = CLUTTER_KINDS.index("poster")     # half removed (4, 5), half kept (6, 7)
    kinds[:, :2, 8:] = CLUTTER_KINDS.index("objects")     # all kept
    np.save(split_dir / "clutter_kind.npy", kinds)
    manifest = json.loads((split_dir / "manifest.json").read_text())
    manifest["arrays"]["clutter_kind"] = "clutter_kind.npy"
    manifest["eval_only"].append("clutter_kind")
    (split_dir / "manifest.json").write_text(json.dumps(manifest))

    protocol = get_protocol("synthrooms-indoor")
    table = build_table4(root, split_dir, protocol, arc_method="arc_full-rho0.85", params=PARAMS)
    arc_row, mix_row = _row(table, "arc_removed", "arc"), _row(table, "arc_removed", "base")
    assert arc_row["mask_recall_light_pool"] == pytest.approx(1.0)
    assert arc_row["mask_recall_poster"] == pytest.approx(0.5)
    assert arc_row["mask_recall_objects"] == pytest.approx(0.0)
    assert "mask_recall_plant" not in table.columns  # kinds absent from the split are not reported
    assert pd.isna(mix_row["mask_recall_poster"])
    out = tmp_path / "table4.csv"
    write_table4(table, protocol, out)
    md = out.with_suffix(".md").read_text()
    assert "fraction of each clutter kind that A removes: poster 0.500 ± 0.000, objects 0.000 ± 0.000, light_pool 1.000 ± 0.000" in md
