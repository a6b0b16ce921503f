"""Make a throw-away copy of the project in which a pipeline can run (git + DVC initialised)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("Snakefile", "dvc.yaml", "params.yaml", "workflow", "arc", "configs", "profiles", ".dvc",
                 ".dvcignore", ".gitignore", "data/splits")


def project_copy(dst: Path, preset: str) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tmp", "cache")
    for name in PROJECT_FILES:
        src = ROOT / name
        if not src.exists():
            continue
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignore)
        else:
            shutil.copy(src, target)
    shutil.copy(ROOT / "configs" / f"{preset}.yaml", dst / "params.yaml")
    # dvc.yaml holds the preset's jobs (as `arc config preset` rewrites it)
    subprocess.run([sys.executable, "workflow/make_dvc_yaml.py"], cwd=dst, check=True, env={**os.environ, "ARC_PARAMS_LOCAL": ""})
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=dst, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dst, check=True)
    subprocess.run([*git, "commit", "-qm", "copy"], cwd=dst, check=True)
    return dst


def tool_env() -> dict:
    """Environment whose `python`, `snakemake` and `dvc` are this interpreter's."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return proc
