"""The working copy's run lock under real engines: a tiny DVC + Snakemake project whose stages go
through the workflow scripts' entry point (arc.utils.entrypoint.run_cli), as every stage does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pipeline_copy import ROOT, tool_env

STAGE = '''
import pathlib, sys, time
from arc.utils.entrypoint import run_cli

def add(parser):
    parser.add_argument("--out", required=True)
    parser.add_argument("--wait", default=None)

def run(args):
    pathlib.Path(args.out + ".started").write_text("")
    deadline = time.monotonic() + 120
    while args.wait and not pathlib.Path(args.wait).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pathlib.Path(args.out).write_text("done\\n")

sys.exit(run_cli(add, run, "a stage that waits for a file"))
'''

DVC_YAML = '''stages:
  slow:
    cmd: python stage.py --out slow.txt --wait slow.go
    outs: [slow.txt]
  quick:
    cmd: python stage.py --out quick.txt
    outs: [quick.txt]
'''

SNAKEFILE = '''onstart:
    from arc.utils.runlock import hold_working_copy

    hold_working_copy("snakemake")


rule wait:
    output: "smk-{name}.txt"
    shell: "python stage.py --out {output} --wait {wildcards.name}.go"
'''


def _env() -> dict:
    return {**tool_env(), "PYTHONPATH": str(ROOT)}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "stage.py").write_text(STAGE)
    (tmp_path / "dvc.yaml").write_text(DVC_YAML)
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=tmp_path, env=_env(), check=True)
    return tmp_path


def _start(cmd, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run(cmd, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=180)


def _wait_for(paths, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        assert time.monotonic() < deadline, f"{paths} did not appear"
        time.sleep(0.05)


def test_a_dvc_stage_command_refuses_a_second_dvc_repro_and_snakemake(project):
    """DVC lets go of its repository lock while a command runs; the command itself holds the run lock."""
    first = _start(["dvc", "repro", "slow"], project)
    try:
        _wait_for([project / "slow.txt.started"], first)
        second = _run(["dvc", "repro", "quick"], project)
        smk = _run(["snakemake", "--cores", "1", "smk-a.txt"], project)
    finally:
        (project / "slow.go").write_text("")
    out = first.communicate(timeout=120)[0]
    assert first.returncode == 0, out[-3000:]
    assert second.returncode != 0 and "Unable to acquire lock" in second.stdout + second.stderr
    assert not (project / "quick.txt.started").exists()  # refused before its command ran
    text = smk.stdout + smk.stderr
    assert smk.returncode != 0 and "is held by a dvc run (pid " in text and "stage slow" in text, text[-3000:]
    assert not (project / "smk-a.txt.started").exists()
    # Once the first run has ended, the lock is free again (dvc took its own lock back and let it go).
    assert _run(["dvc", "repro", "quick"], project).returncode == 0


def test_snakemake_jobs_share_its_lock_and_a_job_that_outlives_snakemake_still_refuses_dvc(project):
    smk = _start(["snakemake", "--cores", "2", "smk-a.txt", "smk-b.txt"], project)
    try:
        _wait_for([project / "smk-a.txt.started", project / "smk-b.txt.started"], smk)  # two jobs joined its run
        during = _run(["dvc", "repro", "quick"], project)
        smk.send_signal(signal.SIGKILL)  # the engine dies; its jobs run on
        smk.wait(timeout=60)
        after_kill = _run(["dvc", "repro", "quick"], project)
        _run(["snakemake", "--unlock", "--cores", "1", "smk-c.txt"], project)
        rerun = _run(["snakemake", "--cores", "1", "smk-c.txt"], project)
    finally:
        for name in ("a.go", "b.go", "c.go"):
            (project / name).write_text("")
    for result in (during, after_kill):
        assert result.returncode != 0 and "Unable to acquire lock" in result.stdout + result.stderr
    assert not (project / "quick.txt.started").exists()
    text = rerun.stdout + rerun.stderr
    assert rerun.returncode != 0 and "is held by a snakemake run (pid " in text, text[-3000:]
    assert not (project / "smk-c.txt.started").exists()
    deadline = time.monotonic() + 60
    while not ((project / "smk-a.txt").exists() and (project / "smk-b.txt").exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the surviving jobs exit
    assert _run(["dvc", "repro", "quick"], project).returncode == 0


def test_a_stage_script_started_by_hand_beside_a_run_is_refused(project):
    smk = _start(["snakemake", "--cores", "1", "smk-a.txt"], project)
    try:
        _wait_for([project / "smk-a.txt.started"], smk)
        by_hand = _run(["python", "stage.py", "--out", "hand.txt"], project)
    finally:
        (project / "a.go").write_text("")
    assert smk.wait(timeout=120) == 0
    lines = [line for line in by_hand.stderr.splitlines() if line.startswith("error:")]
    assert by_hand.returncode == 2 and len(lines) == 1 and "held by a snakemake run" in lines[0], by_hand.stderr
    assert not (project / "hand.txt.started").exists()


def test_a_command_that_outlives_its_killed_dvc_refuses_dvc_repro_force(project):
    first = _start(["dvc", "repro", "slow"], project)
    try:
        _wait_for([project / "slow.txt.started"], first)
        first.send_signal(signal.SIGKILL)  # dvc dies; its stage command runs on
        first.wait(timeout=60)
        forced = _run(["dvc", "repro", "--force", "slow"], project)
    finally:
        (project / "slow.go").write_text("")
    assert forced.returncode != 0 and "Unable to acquire lock" in forced.stdout + forced.stderr
