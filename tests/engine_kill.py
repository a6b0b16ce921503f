"""Kill a stage's training process once its first last.pt exists (the e2e resume tests' fault)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from pipeline_copy import tool_env


def _processes_running(script: str, cwd: Path) -> list[int]:
    """pids whose command line runs ``script`` inside ``cwd`` (read from /proc: no psutil here)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            here = os.readlink(entry / "cwd")
        except OSError:
            continue
        if any(arg.decode(errors="replace").endswith(script) for arg in argv) and Path(here) == cwd:
            pids.append(int(entry.name))
    return pids


def pause(script: str, cwd: Path) -> list[int]:
    """SIGSTOP every process running ``script`` in ``cwd``: its snakemake then waits on it for as long as needed."""
    pids = _processes_running(script, cwd)
    assert pids, f"no process runs {script} in {cwd}"
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def start(cmd: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_when(path: Path, script: str, cwd: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    """SIGKILL every process running ``script`` as soon as ``path`` exists (fails if ``proc`` ends first)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} ended before {path} appeared:\n{proc.stdout.read()[-4000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)
    pids = _processes_running(script, cwd)
    assert pids, f"no process runs {script} in {cwd}"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
