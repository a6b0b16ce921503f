"""The premise sweep (arc.reports.premise_sweep): per-level params and folders, summaries, the report."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arc.errors import ConfigError
from arc.reports import premise_sweep as sweep
from test_evaluation_fakes import uniform_metrics, write_fake_run

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def params():
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_level_params_change_only_the_dial_and_the_rho_sweep(params):
    level = sweep.level_params(params, 2.0)
    assert level["data"]["synthrooms"]["indoor"]["clutter_strength"] == 2.0
    assert level["rho_sweep"] == sorted({params["rho"], sweep.NO_REMOVAL_RHO})
    before = copy.deepcopy(params)
    rest = copy.deepcopy(level)
    indoor = params["data"]["synthrooms"]["indoor"]
    if "clutter_strength" in indoor:
        rest["data"]["synthrooms"]["indoor"]["clutter_strength"] = indoor["clutter_strength"]
    else:
        del rest["data"]["synthrooms"]["indoor"]["clutter_strength"]
    rest["rho_sweep"] = params["rho_sweep"]
    assert rest == params
    assert params == before  # the input is not changed
    with pytest.raises(ConfigError, match=">= 3 training seeds"):
        sweep.level_params({**params, "seeds": [0, 1]}, 1.0)
    with pytest.raises(ConfigError, match="SynthRooms"):
        sweep.level_params({**params, "benchmark": "nyu-pbrs"}, 1.0)
    with pytest.raises(ConfigError, match=">= 0"):
        sweep.level_params(params, -1.0)


def test_level_folder_is_rewritten_only_when_its_settings_change(params, tmp_path):
    folder = sweep.prepare_level(params, 3.0, repo=REPO, root=tmp_path)
    assert folder == tmp_path / "level3"
    assert all((folder / name).is_symlink() and (folder / name).resolve() == (REPO / name).resolve() for name in sweep.LINKED)
    written = yaml.safe_load((folder / "params.yaml").read_text())
    assert written["data"]["synthrooms"]["indoor"]["clutter_strength"] == 3.0
    os.utime(folder / "params.yaml", (1, 1))
    sweep.prepare_level(params, 3.0, repo=REPO, root=tmp_path)
    assert (folder / "params.yaml").stat().st_mtime == 1  # same content: untouched, the level does not rerun
    sweep.prepare_level({**params, "rho": 0.9}, 3.0, repo=REPO, root=tmp_path)
    assert (folder / "params.yaml").stat().st_mtime > 1
    assert sweep.level_tag(0.5) == "level0.5" and sweep.level_tag(2) == "level2"


def test_level_targets_are_the_ladders_results_and_the_premise_tables_networks(params):
    targets = sweep.level_targets(params)
    results = [t for t in targets if t.startswith("results/")]
    assert len(results) == 10 * len(params["seeds"])
    tag = f"rho{params['rho']}"
    # the premise table measures the mix D and A's D through T with the translated A
    assert {t for t in targets if t.startswith("runs/synthrooms-indoor/seed1/")} == {
        f"runs/synthrooms-indoor/seed1/{name}" for name in ("mix", "syn_only", "translator", f"attention_t-{tag}")}
    # the authors' stage 3 reads no D: A's D is a target of its own, or the premise table cannot load it
    cyclegan = copy.deepcopy(params)
    cyclegan["training"]["attention"]["objective"] = "cyclegan"
    assert "runs/synthrooms-indoor/seed0/syn_only" in sweep.level_targets(cyclegan)
    assert f"runs/synthrooms-indoor/seed0/attention-{tag}" in sweep.level_targets(cyclegan)
    assert f"results/synthrooms-indoor/seed2/arc_full-rho{params['rho']}" in targets
    assert "results/synthrooms-indoor/seed2/arc_full-rho0.99999" in targets  # the rung with nothing removed
    assert "results/synthrooms-indoor/seed0/oracle_mask" in targets
    assert "results/synthrooms-indoor/seed1/oracle_flat_mask" in targets


def _premise_frame(twin_by_seed):
    rows = []
    for seed, value in enumerate(twin_by_seed):
        rows.append({"setting": "mix D", "seed": seed, "intervention": "twin", "rms_log_change_pct": value})
        rows.append({"setting": "A's D (syn_only) through T, translated A", "seed": seed, "intervention": "twin",
                     "rms_log_change_pct": 2 * value})
    return pd.DataFrame(rows)


def _fake_level(root: Path, shift: dict[str, float]):
    """Three seeds, four images; every rung = mix + fine-tuning + its shift on every image."""
    methods = sweep.rung_methods({"rho": 0.85})
    base = [0.30, 0.20, 0.40, 0.25]
    for seed in range(3):
        for method in methods.values():
            values = [v + shift.get(method, 0.0) + 0.001 * seed for v in base]
            per_sample = [{"name": f"img{i}", **uniform_metrics(0.5), "rms_log": v, "n_valid": 10} for i, v in enumerate(values)]
            metrics = {**uniform_metrics(0.5), "rms_log": float(np.mean(values))}
            path = write_fake_run(root, method, seed, metrics=metrics, per_sample=per_sample,
                                  keep_rate=0.85 if "rho" in method else None, mask_iou=0.2 + 0.1 * seed if "rho" in method else None)
            if "rho" in method:  # the AUC of A's logits, as the evaluation writes it
                import json
                info = json.loads((path / "metrics.json").read_text())
                info["mask_logit_auc"] = 0.6
                info["mask_iou_appearance"] = 0.4
                (path / "metrics.json").write_text(json.dumps(info))


def test_summary_gains_over_the_control_and_a_beyond_t(params, tmp_path):
    params = {**params, "rho": 0.85}  # the rho _fake_level writes its results at
    shift = {"mix": 0.02, "arc_t": -0.01, "arc_at-rho0.85": -0.03, "arc_full-rho0.85": -0.04,
             "oracle_declutter": -0.05, "oracle_mask": -0.06, "oracle_flat_mask": -0.07,
             "oracle_flat_mask_t": -0.08, "arc_full-rho0.99999": -0.015}
    _fake_level(tmp_path, shift)
    summary = sweep.summarise_level(tmp_path, _premise_frame([-4.0, -6.0, -8.0]), 2.0, params, n_bootstrap=200, seed=0)
    assert summary["level"] == 2.0 and summary["n_seeds"] == 3
    assert summary["premise_twin_pct"] == pytest.approx(-6.0) and summary["premise_twin_pct_std"] == pytest.approx(2.0)
    assert summary["a_depth_twin_pct"] == pytest.approx(-12.0)
    rungs = {(r["rung"], r["baseline"]): r for r in summary["rungs"]}
    assert rungs[("ARC: full", "mix_ft")]["gain"] == pytest.approx(-0.04)
    assert rungs[("mix", "mix_ft")]["gain"] == pytest.approx(0.02)
    assert rungs[("ARC: A&T", "arc_t")]["gain"] == pytest.approx(-0.02)
    assert rungs[("oracle mask", "arc_t")]["gain"] == pytest.approx(-0.05)
    assert rungs[("oracle flat mask", "arc_t")]["gain"] == pytest.approx(-0.06)
    assert rungs[("oracle flat mask on T", "arc_t")]["gain"] == pytest.approx(-0.07)
    assert rungs[("ARC: full", "arc_full-rho0.99999")]["gain"] == pytest.approx(-0.025)  # what A's masks add
    # every image moves by the same amount: the bootstrap interval is that amount
    full = rungs[("ARC: full", "mix_ft")]
    assert full["ci95_low"] == pytest.approx(-0.04) and full["ci95_high"] == pytest.approx(-0.04)
    assert summary["attention"]["ARC: full"] == {"mask_iou": pytest.approx(0.3), "mask_logit_auc": pytest.approx(0.6),
                                                 "mask_iou_appearance": pytest.approx(0.4)}
    mix = np.mean([0.30, 0.20, 0.40, 0.25]) + 0.02 + 0.001
    assert summary["test_twin_pct"] == pytest.approx(100 * ((mix - 0.07) / mix - 1))


def test_sweep_report_one_row_per_level_and_rung(params, tmp_path):
    params = {**params, "rho": 0.85}  # the rho _fake_level writes its results at
    summaries = []
    for level, twin in ((0.0, 0.0), (3.0, -9.0)):
        _fake_level(tmp_path / str(level), {"arc_full-rho0.85": -0.01 * level})
        summaries.append(sweep.summarise_level(tmp_path / str(level), _premise_frame([twin] * 3), level, params,
                                               n_bootstrap=100, seed=0))
    frame = sweep.write_sweep_report(summaries[::-1], tmp_path / "reports" / "premise_sweep.csv")
    assert frame["level"].tolist()[0] == 0.0 and set(frame["level"]) == {0.0, 3.0}
    assert len(frame) == 2 * 15  # 9 rungs against mix + fine-tuning, 5 against ARC:T, ARC: full against nothing removed
    assert frame["a_iou_flat_full"].tolist() == pytest.approx([0.4] * 30)
    written = pd.read_csv(tmp_path / "reports" / "premise_sweep.csv")
    full = written[(written["rung"] == "ARC: full") & (written["baseline"] == "mix_ft")].set_index("level")["gain"]
    assert full[0.0] == pytest.approx(0.0, abs=1e-9) and full[3.0] == pytest.approx(-0.03)
    assert (tmp_path / "reports" / "premise_sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_the_level_list_does_not_reach_a_levels_own_params(params):
    """Adding a level leaves the others' params.yaml (and so their runs) as they are."""
    assert sweep.level_params({**params, "premise_sweep": {"levels": [0, 2, 5]}}, 2.0) == sweep.level_params(params, 2.0)


def _sweep_copy(tmp_path: Path, levels: list) -> Path:
    from test_workflow_sync import _copy_workflow

    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["premise_sweep"] = {"levels": levels}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    work = tmp_path / "work"
    if not work.is_dir():
        _copy_workflow(work, tmp_path / "params.yaml")
    else:
        (work / "params.yaml").write_text((tmp_path / "params.yaml").read_text())
    subprocess.run([sys.executable, "workflow/make_dvc_yaml.py"], cwd=work, check=True)
    # Unasked, the sweep's DVC file is not written (`dvc status` would list its stages as never run) ...
    assert not (work / "sweeps/premise/dvc.yaml").exists() or (tmp_path / "asked").exists()
    # ... asked once, it is written and then kept current.
    subprocess.run([sys.executable, "workflow/make_dvc_yaml.py", "--premise-sweep"], cwd=work, check=True)
    (tmp_path / "asked").touch()
    return work


def test_both_engines_run_the_levels_of_the_setting_and_dvc_only_on_request(tmp_path):
    from workflow_dag import snakemake_jobs

    work = _sweep_copy(tmp_path, [0, 2.5])
    jobs = snakemake_jobs(work, "reports/premise_sweep.csv")
    levels = sorted(out[0] for out in jobs.values() if out and out[0].startswith("runs/premise_sweep/"))
    assert levels == ["runs/premise_sweep/level0/summary.json", "runs/premise_sweep/level2.5/summary.json"]

    # The same commands and outputs as Snakemake's sweep (but for the nested run's cores: Snakemake passes
    # the cores it grants, DVC leaves the default, every CPU).
    from workflow_dag import dvc_stages

    sweep_jobs = {re.sub(r" --cores \d+", "", cmd): outs for cmd, outs in jobs.items() if "report_premise_sweep.py" in cmd}
    assert dvc_stages(work, dvcfile="sweeps/premise/dvc.yaml") == sweep_jobs
    stages = yaml.safe_load((work / "sweeps/premise/dvc.yaml").read_text())["stages"]
    assert sorted(stages) == ["premise_sweep_level-level0", "premise_sweep_level-level2_5", "report_premise_sweep"]
    kept = stages["premise_sweep_level-level0"]
    assert "premise_sweep" not in kept["params"] and "rho_sweep" not in kept["params"]
    # The same level's stage whatever else the list holds: DVC reruns only the new level.
    assert yaml.safe_load((_sweep_copy(tmp_path, [0, 3]) / "sweeps/premise/dvc.yaml").read_text())[
        "stages"]["premise_sweep_level-level0"] == kept
    # A plain `dvc repro` (dvc.yaml only) never starts the sweep's hours of training.
    root = yaml.safe_load((work / "dvc.yaml").read_text())["stages"]
    assert not [name for name in root if "premise" in name and name != "report_premise"]
    check = subprocess.run([sys.executable, "workflow/make_dvc_yaml.py", "--check"], cwd=work, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    (work / "sweeps/premise/dvc.yaml").write_text("stages: {}\n")
    check = subprocess.run([sys.executable, "workflow/make_dvc_yaml.py", "--check"], cwd=work, capture_output=True, text=True)
    assert check.returncode == 1 and "sweeps/premise/dvc.yaml is not current" in check.stderr
