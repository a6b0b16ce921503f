"""The cluster profile against a real SLURM (start one with tools/start-local-slurm, see docs/slurm.md)."""

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


def _accounted_jobs() -> dict[str, str]:
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-S", "now-1days", "--format=JobID,State"],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|", 1) for line in out.splitlines() if "|" in line)


def test_profile_sets_no_partition():
    """A partition name that the cluster lacks fails the first job ('invalid partition specified')."""
    import yaml

    from pipeline_copy import ROOT

    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    resources = [profile.get("default-resources") or {}, *(profile.get("set-resources") or {}).values()]
    assert not any("slurm_partition" in r for r in resources)


@pytest.mark.skipif(not _slurm_answers(), reason="no SLURM answers `sinfo` (start one with tools/start-local-slurm, see docs/slurm.md)")
def test_data_rules_run_as_slurm_jobs(tmp_path):
    root = project_copy(tmp_path / "cluster", "smoke")
    target = "data/cache/synthrooms-indoor"
    jobs_before = _accounted_jobs()
    # The profile as shipped: no partition given, so SLURM's default partition takes the jobs.
    proc = run(["snakemake", "--profile", "profiles/slurm", "--jobs", "2", "--latency-wait", "10", "--", target],
               root, timeout=900)
    manifest = json.loads((root / target / "real_test" / "manifest.json").read_text())
    assert manifest["count"] == 8
    # both data rules really ran as SLURM jobs, and SLURM's accounting saw them finish
    new_jobs = {job: state for job, state in _accounted_jobs().items() if job not in jobs_before}
    assert len(new_jobs) == 2, (new_jobs, proc.stderr[-2000:])
    assert set(new_jobs.values()) == {"COMPLETED"}
