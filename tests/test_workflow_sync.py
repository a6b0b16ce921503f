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
    # (+ sweep) + evaluations + 5 reports.
    expected = 2 + n_seeds * (3 + 1 + 2 * n_sweep + 2 + 4 + n_sweep + 4 + 3 + n_sweep + 1) + 5
    assert len(snake) == expected
