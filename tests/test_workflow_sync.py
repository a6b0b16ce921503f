"""Snakefile and dvc.yaml describe the same DAG: same stages, same commands, same outputs."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workflow_dag import dvc_stages, snakemake_jobs

ROOT = Path(__file__).resolve().parents[1]


def _copy_workflow(dst: Path, params_file: Path) -> Path:
    for name in ("Snakefile", "dvc.yaml", "workflow", "arc", ".dvc", "configs"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst / name)
    shutil.copy(params_file, dst / "params.yaml")
    subprocess.run(["git", "init", "-q"], cwd=dst, check=True)
    return dst


@pytest.mark.parametrize("preset", ["demo", "smoke"])
def test_snakemake_and_dvc_have_identical_stages(tmp_path, preset):
    work = _copy_workflow(tmp_path, ROOT / "configs" / f"{preset}.yaml")
    snake = snakemake_jobs(work, "all")
    dvc = dvc_stages(work)
    only_snake = sorted(set(snake) - set(dvc))
    only_dvc = sorted(set(dvc) - set(snake))
    assert not only_snake and not only_dvc, (
        f"commands only in Snakemake: {only_snake[:3]}\ncommands only in dvc.yaml: {only_dvc[:3]}")
    mismatched = {c: (snake[c], dvc[c]) for c in snake if snake[c] != dvc[c]}
    assert not mismatched, f"outputs differ: {list(mismatched.items())[:3]}"
    params = yaml.safe_load((work / "params.yaml").read_text())
    n_seeds, n_sweep = len(params["seeds"]), len(params["rho_sweep"])
    # 2 data stages + 3 D + T + A/I per sweep value (+1 each for the no-T rows) + 5 ARC rows
    # (+ sweep) + evaluations (2 oracle rows) + 6 reports (Tables 2, 4, Fig. 3, 4, 5, training curves).
    expected = 2 + n_seeds * (3 + 1 + 2 * n_sweep + 2 + 4 + n_sweep + 4 + 3 + n_sweep + 2) + 6
    assert len(snake) == expected


@pytest.mark.parametrize("preset", ["demo", "smoke"])
def test_training_curves_rule_waits_for_every_run_the_script_draws(tmp_path, preset):
    """The rule's run-folder inputs (reports.smk) and the folders the script reads
    (arc.training.rows.plan_row via expected_runs) are two spellings of one list."""
    import sys

    from arc.reports.training_curves import expected_runs

    work = _copy_workflow(tmp_path, ROOT / "configs" / f"{preset}.yaml")
    params = yaml.safe_load((work / "params.yaml").read_text())
    target = f"reports/{params['reports']['training_curves']}.png"
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--forceall", "--cores", "1", target],
                          cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index("rule report_training_curves:")
    inputs = next(line.strip()[len("input:"):] for line in lines[start:] if line.strip().startswith("input:"))
    run_dirs = sorted(p.strip() for p in inputs.split(",") if p.strip().startswith("runs/"))
    expected = sorted(f"runs/{params['benchmark']}/seed{s}/{name}" for s in params["seeds"]
                      for name in expected_runs(params))
    assert run_dirs == expected


def test_dvc_yaml_carries_the_static_plots_and_metrics():
    """workflow/dvc_static.yaml holds dvc.yaml's top-level keys besides `stages:` (plots, metrics)."""
    static = yaml.safe_load((ROOT / "workflow" / "dvc_static.yaml").read_text())
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert set(static) == {"plots", "metrics"}
    assert {k: dvc.get(k) for k in static} == static
    templates = {next(iter(p.values())).get("template") for p in static["plots"]}
    for name in templates - {"simple", "linear", "smooth", "scatter", None}:
        assert (ROOT / ".dvc" / "plots" / f"{name}.json").is_file(), name
