"""`arc diagnose instance-relation`: each instance's numbers read from its level summary, and the rank
correlation of A's gain with them across instances."""

import json

import numpy as np
import pytest

from arc.cli import main
from arc.diagnostics.instances import correlations, instance_frame, rank_correlation
from arc.errors import DataError


def _summary(a_gain: float, perfect: float, iou: float, auc: float, twin: float, test_twin: float) -> dict:
    """The fields of arc.reports.premise_sweep.summarise_level's output that the diagnostic reads, and a decoy."""
    rung = lambda name, method, baseline, gain: {"rung": name, "method": method, "baseline": baseline, "gain": gain}
    return {"level": 3.0, "premise_twin_pct": twin, "test_twin_pct": test_twin, "rungs": [
        rung("ARC: full", "arc_full-rho0.92", "mix_ft", 0.5),  # same rung, other baseline: not A's gain
        rung("ARC: full, nothing removed", "arc_full-rho0.99999", "mix_ft", 0.7),
        rung("oracle flat mask on T", "oracle_flat_mask_t", "mix_ft", 0.9),
        rung("oracle flat mask on T", "oracle_flat_mask_t", "arc_t", perfect),
        rung("ARC: full", "arc_full-rho0.92", "arc_full-rho0.99999", a_gain),
    ], "attention": {"ARC: full": {"mask_iou": iou, "mask_logit_auc": auc}, "ARC: A&T": {"mask_iou": 0.0}}}


def _write(tmp_path, summaries) -> list:
    paths = []
    for i, s in enumerate(summaries):
        path = tmp_path / "sweeps" / f"instance{i}" / "summary.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(s))
        paths.append(path)
    return paths


def test_each_instance_is_read_from_the_right_rungs(tmp_path):
    paths = _write(tmp_path, [_summary(-0.004, -0.010, 0.2, 0.7, -3.0, -5.0), _summary(0.001, -0.002, 0.1, 0.6, -1.0, -2.0)])
    frame = instance_frame(paths)
    assert frame["instance"].tolist() == ["sweeps/instance0", "sweeps/instance1"]
    assert frame["A's gain"].tolist() == [-0.004, 0.001]
    assert frame["perfect A's gain"].tolist() == [-0.010, -0.002]
    assert frame["A's IoU"].tolist() == [0.2, 0.1] and frame["A's AUC"].tolist() == [0.7, 0.6]
    assert frame["premise real_val %"].tolist() == [-3.0, -1.0] and frame["premise test %"].tolist() == [-5.0, -2.0]


def test_a_summary_without_the_nothing_removed_rung_is_named(tmp_path):
    old = _summary(0.0, 0.0, 0.1, 0.5, 0.0, 0.0)
    old["rungs"] = [r for r in old["rungs"] if r["rung"] != "ARC: full, nothing removed"]
    [path] = _write(tmp_path, [old])
    with pytest.raises(DataError, match=r"summary.json: field 'rungs' has no 'ARC: full, nothing removed' rung"):
        instance_frame([path])
    without_iou = _summary(0.0, 0.0, 0.1, 0.5, 0.0, 0.0)
    del without_iou["attention"]["ARC: full"]["mask_iou"]
    [path] = _write(tmp_path / "b", [without_iou])
    with pytest.raises(DataError, match=r"no field 'attention.ARC: full.mask_iou'"):
        instance_frame([path])


def test_rank_correlation_and_its_interval():
    x = np.arange(8.0)
    assert rank_correlation(x, 2 * x + 1, n_bootstrap=200, seed=0) == pytest.approx((1.0, 1.0, 1.0))
    assert rank_correlation(x, -x ** 3, n_bootstrap=200, seed=0) == pytest.approx((-1.0, -1.0, -1.0))
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=40), rng.normal(size=40)
    rho, low, high = rank_correlation(a, b, n_bootstrap=500, seed=0)
    assert low < rho < high and low < 0 < high  # unrelated samples: an interval holding 0
    assert rank_correlation(a, b, n_bootstrap=500, seed=0) == (rho, low, high)  # seeded
    with pytest.raises(ValueError, match="same size >= 3"):
        rank_correlation(x[:2], x[:2], n_bootstrap=10, seed=0)


def test_the_command_prints_each_instance_and_the_correlations(tmp_path, capsys):
    # A pays where its IoU is high and where a perfect A pays: correlations -1 and +1
    summaries = [_summary(-0.001 * k, -0.02 - 0.001 * k, 0.1 + 0.02 * k, 0.6, -2.0, -4.0 + (k % 2)) for k in range(5)]
    paths = _write(tmp_path, summaries)
    out_csv = tmp_path / "relation.csv"
    assert main(["diagnose", "instance-relation", "--bootstrap", "300", "--out", str(out_csv), *map(str, paths)]) == 0
    printed = capsys.readouterr().out
    assert "5 benchmark instance(s)" in printed
    assert "A's IoU              -1.00 [-1.00, -1.00]" in printed
    assert "perfect A's gain     +1.00 [+1.00, +1.00]" in printed
    corr = correlations(instance_frame(paths), n_bootstrap=300, seed=0).set_index("predictor")
    assert corr.loc["A's IoU", "spearman"] == pytest.approx(-1.0) and corr.loc["A's IoU", "n_instances"] == 5
    assert np.isnan(corr.loc["A's AUC", "spearman"])  # every AUC equal: no ranks to correlate
    assert out_csv.read_text().splitlines()[0].startswith("instance,A's gain,perfect A's gain")
