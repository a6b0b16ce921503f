"""The DVC smoke run's first `dvc repro`, started in the background as soon as pytest has collected
the test that needs it.

`dvc repro` runs its stages one at a time, so on the 2-core CI machine it leaves a core idle for
the ~3 minutes it takes; the tests collected before it use that core meanwhile. The run is the same
command in the same kind of throw-away copy as before; only its start moved.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline_copy import project_copy, tool_env

DVC_SMOKE_TEST = "tests/test_e2e_smoke.py::test_dvc_smoke_repro_rho_change_and_noop"

_started: dict = {}


def start_dvc_smoke() -> None:
    if _started:
        return
    base = Path(tempfile.mkdtemp(prefix="arc-dvc-smoke-"))
    root = project_copy(base / "dvc", "smoke")
    log = open(base / "dvc-repro.log", "w")
    env = {**tool_env(), "ARC_PARAMS_LOCAL": ""}  # as tests/conftest.py: no developer's local params
    proc = subprocess.Popen(["dvc", "repro", "--quiet"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    _started.update(base=base, root=root, proc=proc, log=log)


def dvc_smoke_after_first_repro(timeout: float = 1200) -> Path:
    """The copy, once its first `dvc repro` has ended (AssertionError with its log if it failed)."""
    start_dvc_smoke()
    proc = _started["proc"]
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    _started["log"].close()
    if proc.returncode != 0:
        log = (_started["base"] / "dvc-repro.log").read_text()
        raise AssertionError(f"dvc repro --quiet failed ({proc.returncode}):\n{log[-6000:]}")
    return _started["root"]


def stop_and_clean() -> None:
    if not _started:
        return
    if _started["proc"].poll() is None:
        _started["proc"].kill()
        _started["proc"].wait()
    _started["log"].close()
    shutil.rmtree(_started["base"], ignore_errors=True)
    _started.clear()
