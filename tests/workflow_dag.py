"""Read the DAG as each tool resolves it: {command: (outputs)} from Snakemake and from DVC."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def snakemake_jobs(workdir: Path, *targets: str, forceall: bool = True) -> dict[str, tuple[str, ...]]:
    """Commands and outputs of every job ``snakemake -n -p`` would run."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "-p", "--cores", "1"]
    if forceall:
        cmd.append("--forceall")
    proc = subprocess.run([*cmd, *targets], cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"snakemake -n failed:\n{proc.stdout}\n{proc.stderr}")
    return parse_dry_run(proc.stdout + proc.stderr)


def parse_dry_run(text: str) -> dict[str, tuple[str, ...]]:
    jobs: dict[str, tuple[str, ...]] = {}
    outputs: tuple[str, ...] = ()
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^(localrule|rule) \w+:$", line):
            outputs = ()
        elif line.startswith("output:"):
            outputs = tuple(sorted(p.strip() for p in line[len("output:"):].split(",")))
        elif line.startswith("Shell command:"):
            command = line[len("Shell command:"):].strip()
            if command != "None":  # the target-only rule `all`
                jobs[command] = outputs
    return jobs


def dvc_stages(workdir: Path, with_check: bool = False, dvcfile: str = "dvc.yaml") -> dict[str, tuple[str, ...]]:
    """Commands and outputs of every stage of ``dvcfile`` (the main pipeline unless told; the premise
    sweep's is sweeps/premise/dvc.yaml); without the check_settings stage (DVC's own guard against a
    stale dvc.yaml, which Snakemake does not need) unless ``with_check``."""
    from dvc.repo import Repo

    with Repo(str(workdir)) as repo:
        return {stage.cmd: tuple(sorted(str(o.def_path) for o in stage.outs))
                for stage in repo.index.stages
                if Path(stage.dvcfile.path).resolve() == (Path(workdir) / dvcfile).resolve()
                and (with_check or stage.name != "check_settings")}


def dvc_stage_names(workdir: Path) -> dict[str, str]:
    from dvc.repo import Repo

    with Repo(str(workdir)) as repo:
        return {stage.cmd: stage.addressing for stage in repo.index.stages}
