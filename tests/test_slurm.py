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


# The profile's status polling waits 40 s before its first check (the plugin's default, right for a
# busy cluster); on the one-node test SLURM that is most of each test's time, so the tests poll at once.
FAST_POLLING = ["--latency-wait", "10", "--slurm-init-seconds-before-status-checks", "1",
                "--seconds-between-status-checks", "2"]

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
    proc = run(["snakemake", "--profile", "profiles/slurm", "--jobs", "2", *FAST_POLLING, "--", target],
               root, timeout=900)
    manifest = json.loads((root / target / "real_test" / "manifest.json").read_text())
    assert manifest["count"] == 8
    # both data rules really ran as SLURM jobs, and SLURM's accounting saw them finish
    new_jobs = {job: state for job, state in _accounted_jobs().items() if job not in jobs_before}
    assert len(new_jobs) == 2, (new_jobs, proc.stderr[-2000:])
    assert set(new_jobs.values()) == {"COMPLETED"}


@pytest.mark.skipif(not _slurm_answers(), reason="no SLURM answers `sinfo` (start one with tools/start-local-slurm, see docs/slurm.md)")
def test_killed_training_job_is_retried_and_resumes_under_the_profile(tmp_path):
    """A SLURM job whose training dies (as at a wall time) is resubmitted by the profile and continues."""
    import torch
    import yaml

    from engine_kill import kill_when, start

    root = project_copy(tmp_path / "cluster", "smoke")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["training"]["depth"]["epochs"] = 4
    params["runtime"]["resume_every_s"] = 0  # last.pt after every epoch (default: every 600 s), so the kill finds one
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["snakemake", "--cores", "1", "data/cache/synthrooms-indoor"], root)  # locally: only training goes to SLURM
    target = "runs/synthrooms-indoor/seed0/mix"
    proc = start(["snakemake", "--profile", "profiles/slurm", "--jobs", "1", *FAST_POLLING, "--", target], root)
    kill_when(root / "runs/synthrooms-indoor/seed0/.mix.partial/last.pt", "train_depth.py", root, proc, timeout=600)
    out = proc.communicate(timeout=900)[0]
    assert proc.returncode == 0, out[-4000:]
    summary = json.loads((root / target / "summary.json").read_text())
    assert summary["resumed_from_epoch"] == 1 and summary["epochs"] == 4
    run(["python", "workflow/scripts/train_depth.py", "--params", "params.yaml", "--data", "data/cache/synthrooms-indoor",
         "--row", "mix", "--seed", "0", "--out", "reference"], root)
    a = torch.load(root / "reference" / "checkpoint.pt", weights_only=True)["modules"]["depth"]["state_dict"]
    b = torch.load(root / target / "checkpoint.pt", weights_only=True)["modules"]["depth"]["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
