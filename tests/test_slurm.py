"""The cluster profile against a real SLURM (start one with ../shared/tools/start-local-slurm)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from pipeline_copy import project_copy, run

pytestmark = pytest.mark.slurm


def _slurm_answers() -> bool:
    if shutil.which("sinfo") is None:
        return False
    return subprocess.run(["sinfo"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _slurm_answers(), reason="no SLURM answers `sinfo` (see ../shared/tools/start-local-slurm)")
def test_data_rules_run_as_slurm_jobs(tmp_path):
    root = project_copy(tmp_path / "cluster", "smoke")
    target = "data/cache/synthrooms-indoor"
    proc = run(["snakemake", "--profile", "profiles/slurm", "--jobs", "2", "--latency-wait", "10",
                "--default-resources", "slurm_partition=debug", "mem_mb=1000", "runtime=10", "--", target],
               root, timeout=900)
    manifest = json.loads((root / target / "real_test" / "manifest.json").read_text())
    assert manifest["count"] == 8
    # the jobs really went through sbatch
    assert "SLURM" in proc.stdout + proc.stderr and "sbatch" in (proc.stdout + proc.stderr).lower() or \
        list((root / ".snakemake" / "slurm_logs").rglob("*.log"))
