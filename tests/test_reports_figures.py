"""Fig. 3 (rho), Fig. 4/11 (per sample), Fig. 5 (qualitative) writers and the bootstrap interval."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

import arc.reports.qualitative as qualitative_module
from arc.cli import main
from arc.errors import DataError
from arc.reports.figures import plot_rho_sweep, rho_sweep_table, write_fig_per_sample, write_fig_rho
from arc.reports.qualitative import render_qualitative, select_examples, write_fig_qualitative
from arc.reports.stats import bootstrap_mean_ci

try:
    from tests.test_evaluation_fakes import (FakePipeline, open_split, uniform_metrics, write_fake_cache,
                                             write_fake_run)
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_evaluation_fakes import (FakePipeline, open_split, uniform_metrics,
                                       write_fake_cache, write_fake_run)

SWEEP = {"arc_full-rho0.75": 0.30, "arc_full-rho0.9": 0.20, "arc_full-rho0.99999": 0.25}
BASELINES = {"syn_only": 0.40, "real_only": 0.35, "mix": 0.27}


def _is_png(path):
    image = imread(path)
    return image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


@pytest.fixture
def sweep_results(tmp_path):
    root = tmp_path / "results"
    for method, value in {**SWEEP, **BASELINES}.items():
        for seed in (0, 1):
            rho = None if method.endswith("0.9") else (float(method.split("rho")[1]) if "rho" in method else None)
            write_fake_run(root, method, seed, metrics=uniform_metrics(value + 0.02 * seed), rho=rho)
    return root


# The settings the sweep was planned from: the rho of a result whose metrics.json lacks it.
SWEEP_PARAMS = {"rows": {"arc_full": {"label": "ARC: full", "modules": ["A", "T", "I"]}}, "rho": 0.9,
                "rho_sweep": [0.75, 0.9, 0.99999]}


def test_rho_figure_csv_has_sorted_sweep_then_baselines(sweep_results, tmp_path):
    out = tmp_path / "reports" / "fig3_rho.png"
    # Sweep methods given out of order; one lacks rho in metrics.json (taken from the settings' sweep).
    write_fig_rho(sweep_results, ["arc_full-rho0.9", "arc_full-rho0.99999", "arc_full-rho0.75"],
                  list(BASELINES), "synthrooms-indoor", out, params=SWEEP_PARAMS)
    assert _is_png(out)
    table = pd.read_csv(out.with_suffix(".csv"))
    assert table["kind"].tolist() == ["sweep"] * 3 + ["baseline"] * 3
    assert table["rho"].tolist()[:3] == [0.75, 0.9, 0.99999]
    assert table["method"].tolist()[3:] == list(BASELINES)
    assert table["abs_rel"].tolist() == pytest.approx([0.31, 0.21, 0.26, 0.41, 0.36, 0.28])
    assert table["delta1_std"].tolist() == pytest.approx([np.std([0, 0.02], ddof=1)] * 6)
    assert set(table["label"][:3]) == {"ARC: full"} and table["label"][5] == "mix training"


def test_rho_figure_draws_one_curve_and_a_line_per_baseline(sweep_results):
    table = rho_sweep_table(sweep_results, list(SWEEP), list(BASELINES), "synthrooms-indoor", params=SWEEP_PARAMS)
    fig = plot_rho_sweep(table)
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["Rel", "δ<1.25", "RMS-log"]
    for ax in axes:
        curve = ax.lines[0]
        assert list(curve.get_xdata()) == [0.75, 0.9, 0.99999]
        horizontal = [line for line in ax.lines[1:] if len(set(line.get_ydata())) == 1 and len(line.get_ydata()) == 2]
        assert len(horizontal) == 3
        assert "ρ" in ax.get_xlabel()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "mix training" in labels and any("ARC: full" in label for label in labels)
    assert "synthrooms-indoor" in fig._suptitle.get_text() and "protocol" in fig._suptitle.get_text()


def test_rho_figure_needs_sweep_results_with_consistent_rho(sweep_results, tmp_path):
    with pytest.raises(DataError, match="arc_full-rho0.5"):
        write_fig_rho(sweep_results, ["arc_full-rho0.5"], list(BASELINES), "synthrooms-indoor", tmp_path / "f.png")
    write_fake_run(sweep_results, "arc_full-rho0.8", 0, metrics=uniform_metrics(0.2), rho=0.85)
    with pytest.raises(DataError, match="record rho 0.85 in metrics.json, but the settings trained it at 0.8"):
        rho_sweep_table(sweep_results, ["arc_full-rho0.8"], [], "synthrooms-indoor", params={**SWEEP_PARAMS, "rho_sweep": [0.8, 0.9]})


def _per_sample(values):
    return [{"name": f"img{i}", **uniform_metrics(0.5), "rms_log": v, "n_valid": 10} for i, v in enumerate(values)]


def test_per_sample_figure_gains_fraction_and_bootstrap(tmp_path):
    root = tmp_path / "results"
    mix = [0.30, 0.20, 0.40, 0.25]
    arc_by_seed = {0: [0.20, 0.25, 0.30, 0.25], 1: [0.22, 0.27, 0.30, 0.23]}
    for seed, arc in arc_by_seed.items():
        write_fake_run(root, "mix", seed, metrics=uniform_metrics(0.3), per_sample=_per_sample(mix))
        write_fake_run(root, "arc_full-rho0.85", seed, metrics=uniform_metrics(0.3), per_sample=_per_sample(arc))
    out = tmp_path / "fig4_per_sample.png"
    summary = write_fig_per_sample(root, "arc_full-rho0.85", "mix", "synthrooms-indoor", out, n_bootstrap=500, seed=3)
    # Seed-mean gains: img0 -0.09, img1 +0.06, img2 -0.10, img3 -0.01.
    table = pd.read_csv(out.with_suffix(".csv"))
    assert table["name"].tolist() == ["img2", "img0", "img3", "img1"]
    assert table["gain"].tolist() == pytest.approx([-0.10, -0.09, -0.01, 0.06])
    assert table["rank"].tolist() == [0, 1, 2, 3] and set(table["n_seeds"]) == {2}
    assert summary["fraction_improved"] == pytest.approx(0.75)
    assert summary["mean_gain"] == pytest.approx(-0.035)
    assert summary["ci95_low"] <= -0.035 <= summary["ci95_high"]
    assert summary["ci95_low"] >= -0.10 and summary["ci95_high"] <= 0.06
    assert json.loads(out.with_suffix(".json").read_text()) == summary
    assert _is_png(out) and _is_png(tmp_path / "fig4_per_sample_by_baseline.png")

    pooled = write_fig_per_sample(root, "arc_full-rho0.85", "mix", "synthrooms-indoor", tmp_path / "p.png",
                                  combine="pool", n_bootstrap=100)
    # Seed 0 gains -0.10, +0.05, -0.10, 0.00; seed 1 -0.08, +0.07, -0.10, -0.02: 5 of 8 below zero.
    assert pooled["n"] == 8 and pooled["fraction_improved"] == pytest.approx(5 / 8)


def test_per_sample_figure_rejects_different_image_sets(tmp_path):
    root = tmp_path / "results"
    write_fake_run(root, "mix", 0, metrics=uniform_metrics(0.3), per_sample=_per_sample([0.1, 0.2]))
    write_fake_run(root, "arc", 0, metrics=uniform_metrics(0.3), per_sample=_per_sample([0.1, 0.2, 0.3]))
    with pytest.raises(DataError, match="different images"):
        write_fig_per_sample(root, "arc", "mix", "synthrooms-indoor", tmp_path / "f.png", n_bootstrap=10)


def test_bootstrap_interval_sanity():
    rng = np.random.default_rng(0)
    values = rng.normal(1.0, 2.0, size=400)
    low, high = bootstrap_mean_ci(values, n_samples=2000, seed=7)
    assert low < values.mean() < high
    # Width close to the normal-theory 2 * 1.96 * sd / sqrt(n).
    expected = 2 * 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert (high - low) == pytest.approx(expected, rel=0.15)
    assert bootstrap_mean_ci(values, n_samples=2000, seed=7) == (low, high)  # seeded
    assert bootstrap_mean_ci(values, n_samples=2000, seed=8) != (low, high)
    narrow = bootstrap_mean_ci(values, n_samples=2000, seed=7, confidence=0.5)
    assert low < narrow[0] < narrow[1] < high
    assert bootstrap_mean_ci(np.full(5, 0.3), n_samples=50) == pytest.approx((0.3, 0.3))
    with pytest.raises(ValueError):
        bootstrap_mean_ci(np.array([]))


def test_select_examples_best_median_worst():
    gains = pd.DataFrame({"name": [f"i{k}" for k in range(7)], "gain": [0.3, -0.2, 0.0, 0.1, -0.5, 0.05, -0.1]})
    picked = select_examples(gains, 3)
    assert [(e.group, e.name) for e in picked] == [("best", "i4"), ("median", "i2"), ("worst", "i0")]
    six = select_examples(gains, 6)
    assert [e.group for e in six] == ["best", "best", "median", "median", "worst", "worst"]
    assert len({e.name for e in select_examples(gains.head(2), 3)}) == 2  # never the same image twice


def test_qualitative_grid_renders_all_panels(tmp_path, monkeypatch):
    split_dir = write_fake_cache(tmp_path / "cache" / "real_test", n=4, height=16, width=24)
    split = open_split(split_dir)
    root = tmp_path / "results"
    write_fake_run(root, "mix", 0, metrics=uniform_metrics(0.3),
                   per_sample=[{"name": n, **uniform_metrics(0.3), "n_valid": 5} for n in split.names])
    write_fake_run(root, "arc_full-rho0.85", 0, metrics=uniform_metrics(0.3),
                   per_sample=[{"name": n, **uniform_metrics(0.3), "rms_log": 0.1 * i, "n_valid": 5}
                               for i, n in enumerate(split.names)])
    examples = select_examples(pd.DataFrame({"name": split.names, "gain": [0.1, -0.2, 0.0, 0.3]}), 3)
    fig = render_qualitative(FakePipeline(), FakePipeline(with_mask=False), split, examples, title="t")
    image_axes = [ax for ax in fig.get_axes() if ax.get_images() or ax.texts]
    assert len(image_axes) == 3 * 7
    assert fig.get_axes()[0].get_title() == "input x"
    monkeypatch.setattr(qualitative_module, "_load_pipeline", lambda path, device: FakePipeline())
    out = tmp_path / "fig5.png"
    chosen = write_fig_qualitative("arc.pt", "mix.pt", split_dir, root, out, arc_method="arc_full-rho0.85",
                                   protocol="synthrooms-indoor", seed=0, n_examples=3)
    # gains 0.1 * i - 0.3: best img000, worst img003, median of four = the upper middle one
    assert [e.name for e in chosen] == ["img000", "img002", "img003"]
    assert _is_png(out)
    with pytest.raises(DataError, match="seed 5"):
        write_fig_qualitative("a", "m", split_dir, root, out, arc_method="arc_full-rho0.85",
                              protocol="synthrooms-indoor", seed=5)


def test_report_cli_fig_rho_and_per_sample(sweep_results, tmp_path):

    out = tmp_path / "fig3.png"
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(SWEEP_PARAMS))  # one result lacks rho in metrics.json: the settings say it
    assert main(["report", "fig-rho", "--results", str(sweep_results), "--protocol", "synthrooms-indoor",
                 "--params", str(params), "--sweep-methods", *SWEEP, "--out", str(out)]) == 0
    assert out.is_file() and out.with_suffix(".csv").is_file()
    # Missing arc method and params: a clear configuration error, exit status 2.
    assert main(["report", "fig-per-sample", "--results", str(sweep_results), "--protocol", "synthrooms-indoor",
                 "--out", str(tmp_path / "f4.png")]) == 2


def test_per_sample_figure_compares_against_any_table_row(tmp_path, capsys):
    """Fig. 4's --baseline takes a peer row (e.g. t2net) and refuses a method the table lacks."""
    from pathlib import Path

    from arc.stage_table import rho_tag

    root = tmp_path / "results"
    params_file = Path(__file__).resolve().parents[1] / "params.yaml"
    arc_full = f"arc_full-{rho_tag(yaml.safe_load(params_file.read_text())['rho'])}"  # Fig. 4's ARC row at the Table-2 rho
    write_fake_run(root, "t2net", 0, metrics=uniform_metrics(0.3), per_sample=_per_sample([0.30, 0.20]))
    write_fake_run(root, arc_full, 0, metrics=uniform_metrics(0.3), per_sample=_per_sample([0.20, 0.25]))
    out = tmp_path / "fig4.png"
    args = ["report", "fig-per-sample", "--params", str(params_file), "--results", str(root), "--out", str(out),
            "--bootstrap-samples", "20"]
    assert main([*args, "--baseline", "t2net"]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["mean_gain"] == pytest.approx(((0.20 - 0.30) + (0.25 - 0.20)) / 2)
    assert main([*args, "--baseline", "not_a_row"]) != 0
    assert "--baseline 'not_a_row'" in capsys.readouterr().err


def test_two_level_bootstrap_refuses_empty_groups_and_is_seeded():
    from arc.reports.stats import bootstrap_two_level_mean_ci

    groups = [np.array([0.1, 0.2, 0.3]), np.array([-0.2, -0.1])]
    low, high = bootstrap_two_level_mean_ci(groups, n_samples=300, seed=1)
    assert -0.2 <= low < high <= 0.3
    assert (low, high) == bootstrap_two_level_mean_ci(groups, n_samples=300, seed=1)
    with pytest.raises(ValueError, match="empty group"):
        bootstrap_two_level_mean_ci([np.array([0.1]), np.array([])])
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_two_level_mean_ci([np.array([np.nan])])
