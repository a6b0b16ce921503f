"""What a run ran on: recorded next to its numbers, because bit-exactness holds per machine.

Same seed + same machine (CPU capability, torch build, threads) gives byte-identical files; another
CPU moves the numbers within the seed spread (docs/running.md, "Resuming and faults").
"""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path

import torch

_ROOT = Path(__file__).resolve().parents[2]


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """HEAD of the working copy the code runs from ('unknown' outside git; never fails)."""
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else "unknown"


def provenance(device: torch.device | str = "cpu", precision: str = "fp32") -> dict:
    device = torch.device(device)
    record = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "device": str(device),
        "precision": precision,
        "commit": git_commit(),
    }
    if device.type == "cuda" and torch.cuda.is_available():
        record["gpu"] = torch.cuda.get_device_name(device)
        record["cuda"] = torch.version.cuda
    return record
