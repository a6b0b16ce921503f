"""A training job killed mid-run (kill -9 once its first last.pt exists), rerun by Snakemake the ways a
user or the SLURM profile would, continues from its last epoch and ends bit-identical to an
uninterrupted run; the half-trained folder is never taken for a finished one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from engine_kill import kill_when, pause, start
from pipeline_copy import project_copy, run, tool_env

B = "synthrooms-indoor"
TARGET = f"runs/{B}/seed0/mix"
WORK = f"runs/{B}/seed0/.mix.partial"
SLURM_PROFILE_FLAGS = ["--retries", "1", "--rerun-incomplete"]  # profiles/slurm/config.yaml


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = project_copy(tmp_path_factory.mktemp("engine") / "p", "smoke")
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["training"]["depth"]["epochs"] = 4  # epoch 1's last.pt appears well before the end
    params["runtime"]["resume_every_s"] = 0  # last.pt after every epoch (default: every 600 s), so the kill finds one
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["snakemake", "--cores", "1", f"data/cache/{B}"], root)
    # The uninterrupted run, by the rule's own command.
    run(["python", "workflow/scripts/train_depth.py", "--params", "params.yaml", "--data", f"data/cache/{B}",
         "--row", "mix", "--seed", "0", "--out", "reference"], root)
    return root


@pytest.fixture
def clean(pipeline):
    for path in (TARGET, WORK, ".snakemake/incomplete", ".snakemake/locks"):
        shutil.rmtree(pipeline / path, ignore_errors=True)
    return pipeline


def _assert_resumed_and_identical(root):
    summary = json.loads((root / TARGET / "summary.json").read_text())
    assert summary["resumed_from_epoch"] == 1, summary
    assert not (root / WORK).exists()
    ref = json.loads((root / "reference" / "summary.json").read_text())
    assert summary["val"] == ref["val"] and summary["selected_epoch"] == ref["selected_epoch"]
    for name in ("checkpoint.pt", "last.pt"):
        a = torch.load(root / "reference" / name, weights_only=True)["modules"]
        b = torch.load(root / TARGET / name, weights_only=True)["modules"]
        for role in a:
            for key, tensor in a[role]["state_dict"].items():
                assert torch.equal(tensor, b[role]["state_dict"][key]), (name, role, key)


def test_killed_job_is_not_taken_for_finished_and_resumes_on_rerun(clean):
    """--keep-incomplete (the README's old advice), kill, then a plain rerun: it resumes, not 'Nothing to be done'."""
    root = clean
    proc = start(["snakemake", "--cores", "1", "--keep-incomplete", TARGET], root)
    kill_when(root / WORK / "last.pt", "train_depth.py", root, proc)
    assert proc.wait(timeout=120) != 0
    assert not (root / TARGET).exists(), "a half-trained stage must not look finished"
    rerun = run(["snakemake", "--cores", "1", TARGET], root)
    assert "Nothing to be done" not in rerun.stdout + rerun.stderr
    _assert_resumed_and_identical(root)


def test_killed_job_is_retried_and_resumes_under_the_slurm_profile_flags(clean):
    """The SLURM profile's retries/rerun-incomplete: the retried job (a wall-time kill) continues."""
    root = clean
    proc = start(["snakemake", "--cores", "1", *SLURM_PROFILE_FLAGS, TARGET], root)
    kill_when(root / WORK / "last.pt", "train_depth.py", root, proc)
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out[-4000:]
    _assert_resumed_and_identical(root)


def test_resume_after_snakemake_itself_was_killed(clean):
    """A node failure kills snakemake with its job: --unlock, then the profile's flags resume it."""
    root = clean
    proc = start(["snakemake", "--cores", "1", TARGET], root)
    kill_when(root / WORK / "last.pt", "train_depth.py", root, proc)
    proc.kill()
    proc.wait(timeout=60)
    run(["snakemake", "--cores", "1", "--unlock", TARGET], root)
    run(["snakemake", "--cores", "1", *SLURM_PROFILE_FLAGS, TARGET], root)
    _assert_resumed_and_identical(root)


def test_rerun_beside_a_job_that_outlived_its_killed_snakemake_is_refused(clean):
    """Kill snakemake (its training job survives), --unlock, rerun: refused, and the job publishes a complete stage."""
    root = clean
    proc = start(["snakemake", "--cores", "1", TARGET], root)
    deadline = time.monotonic() + 900
    while not (root / WORK / "last.pt").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0][-3000:]
        time.sleep(0.02)
    job = pause("train_depth.py", root)  # the surviving job stays mid-run for as long as the reruns need
    try:
        proc.kill()
        proc.wait(timeout=60)
        run(["snakemake", "--cores", "1", "--unlock", TARGET], root)
        rerun = subprocess.run(["snakemake", "--cores", "1", *SLURM_PROFILE_FLAGS, TARGET], cwd=root, env=tool_env(),
                               capture_output=True, text=True, timeout=900)
        by_hand = subprocess.run(["arc", "train", "depth", "--params", "params.yaml", "--data", f"data/cache/{B}",
                                  "--row", "mix", "--seed", "0", "--out", TARGET], cwd=root, env=tool_env(),
                                 capture_output=True, text=True, timeout=900)
    finally:
        for pid in job:
            os.kill(pid, signal.SIGCONT)
    text = rerun.stdout + rerun.stderr
    assert rerun.returncode != 0 and "is held by a snakemake run" in text, text[-3000:]
    assert by_hand.returncode == 2 and f"{TARGET} is being written by pid {job[0]}" in by_hand.stderr, by_hand.stderr
    deadline = time.monotonic() + 900
    while (root / WORK).exists() or (root / f"runs/{B}/seed0/.mix.lock").exists():
        assert time.monotonic() < deadline, "the surviving job did not finish"
        time.sleep(0.1)
    summary = json.loads((root / TARGET / "summary.json").read_text())
    ref = json.loads((root / "reference" / "summary.json").read_text())
    assert (root / TARGET / "checkpoint.pt").is_file() and summary["val"] == ref["val"]
    # Snakemake still counts the output incomplete (its job "died" with it); the folder is complete, so say so.
    # (--cleanup-metadata drops the incomplete mark, then exits 1 because the job wrote no metadata record.)
    subprocess.run(["snakemake", "--cores", "1", "--cleanup-metadata", TARGET], cwd=root, env=tool_env(),
                   capture_output=True, timeout=900)
    dry = run(["snakemake", "-n", "--cores", "1", TARGET], root)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_editing_a_row_label_retrains_nothing(pipeline):
    root = pipeline
    run(["snakemake", "--cores", "1", TARGET], root)
    params_path = root / "params.yaml"
    original = params_path.read_text()
    params = yaml.safe_load(original)
    params["rows"]["mix"]["label"] = "mix (relabelled)"
    params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        dry = run(["snakemake", "-n", "--cores", "1", TARGET], root)
    finally:
        params_path.write_text(original)
    assert "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout[-2000:]


def test_dvc_repro_is_refused_while_snakemake_runs(clean):
    """One lock per working copy: `dvc repro` beside a running snakemake touches nothing."""
    root = clean
    manifest = root / f"data/cache/{B}/real_test/manifest.json"
    before = manifest.stat().st_mtime_ns
    proc = start(["snakemake", "--cores", "1", f"runs/{B}/seed7/mix"], root)
    deadline = time.monotonic() + 120
    while not (root / f"runs/{B}/seed7/.mix.partial").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "snakemake ended before its training job started"
    # A stopped training job keeps snakemake (and its lock) alive however slowly dvc starts.
    paused = pause("train_depth.py", root)
    try:
        dvc = subprocess.run(["dvc", "repro", "--force", "build_cache"], cwd=root, env=tool_env(),
                             capture_output=True, text=True, timeout=300)
        still_running = proc.poll() is None
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGKILL)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert still_running, "snakemake ended before dvc asked for the lock; the test proves nothing"
    assert dvc.returncode != 0 and "Unable to acquire lock" in dvc.stdout + dvc.stderr, dvc.stdout[-2000:]
    assert manifest.stat().st_mtime_ns == before


def test_snakemake_is_refused_while_dvc_holds_the_working_copy(pipeline):
    root = pipeline
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, zc.lockfile; lock = zc.lockfile.LockFile('.dvc/tmp/lock');"
                               " print('held', flush=True); time.sleep(60)"], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = subprocess.run(["snakemake", "--cores", "1", f"runs/{B}/seed9/mix"],
                              cwd=root, env=tool_env(), capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and f"is held by a dvc run (pid {holder.pid})" in text, text[-3000:]
    assert not (root / f"runs/{B}/seed9").exists()  # no job started
