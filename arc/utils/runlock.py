"""One engine run at a time per working copy, whichever engine it is.

Both engines write the same folders (data/cache, runs/, results/, reports/): a `dvc repro` started
beside a running snakemake would delete and rebuild outputs under its jobs. The run lock is DVC's own
repository lock file (.dvc/tmp/lock, which `dvc` takes with an exclusive flock), held in *shared*
mode by everything that belongs to one engine run:

* a snakemake run, from its ``onstart`` handler (:func:`hold_working_copy`) until it ends;
* every stage command itself (:func:`stage_lock`, taken by the workflow scripts' entry point), so the
  lock is held while a command runs whichever engine launched it. This matters for DVC, which lets go
  of its repository lock while a stage's command runs, and for a job that outlives its killed engine.

DVC asks for the lock exclusively, so any holder refuses a `dvc repro` up front ("Unable to acquire
lock"). Shared holders must belong to the same run: the first holder writes its run (engine, id,
pid, host, start time) into .arc.lock, and a later one with another run id is refused with one line
naming the holder. A snakemake run's id reaches its jobs in the ARC_RUN_ID environment variable
(inherited by local jobs, exported to SLURM jobs); a command that DVC launched (DVC_STAGE is set)
is a run of its own, since DVC runs one command at a time. A stage script started by hand is a run of
its own too. The kernel drops an flock when its holder dies, so a killed run leaves no stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import IO

from arc.errors import ArcError

DVC_LOCK = Path(".dvc") / "tmp" / "lock"
GATE = Path(".dvc") / "tmp" / "arc-run.gate"  # serialises "read the owner, then join" between claimers
HOLDER = Path(".arc.lock")
RUN_ID = "ARC_RUN_ID"

_held: list = []  # open lock files of this process (closing one would release its lock)


class WorkingCopyBusy(ArcError):
    pass


def _describe_holder(root: Path) -> str:
    try:
        pid = int((root / DVC_LOCK).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pid = None
    try:
        info = json.loads((root / HOLDER).read_text())
    except (OSError, ValueError):
        info = {}
    if info and pid is not None and info.get("pid") == pid:
        stage = f", stage {info['stage']}" if info.get("stage") else ""
        return f"a {info['engine']} run (pid {pid} on {info.get('host')}{stage}, started {info.get('started')})"
    return f"a dvc run (pid {pid})" if pid is not None else "another dvc or snakemake run"


def _busy(root: Path, who: str) -> WorkingCopyBusy:
    return WorkingCopyBusy(
        f"{(root / DVC_LOCK).resolve()} is held by {_describe_holder(root)}: one engine run at a time writes this "
        f"working copy's outputs; wait for that run to end (or stop it) and start {who} again"
    )


def _take_gate(gate: IO, root: Path, timeout: float = 30.0) -> None:
    """The gate is held for a few file operations; a holder that never lets go (stopped) is named."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(gate.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise WorkingCopyBusy(f"{(root / GATE).resolve()} has been held for {timeout:.0f} s by a process that "
                                      "is stopped or hung while taking the run lock; end it and start again") from None
            time.sleep(0.01)


def _claim(root: Path, engine: str, run_id: str, who: str, stage: str | None = None) -> IO:
    """Join ``run_id``'s shared hold of the run lock (or start it); WorkingCopyBusy if another run holds it."""
    (root / DVC_LOCK).parent.mkdir(parents=True, exist_ok=True)
    with open(root / GATE, "a+") as gate:
        _take_gate(gate, root)
        fh = open(root / DVC_LOCK, "a+")
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                first = True
            except OSError:
                first = False
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)  # fails while dvc holds it
                try:
                    owner = json.loads((root / HOLDER).read_text()).get("run")
                except (OSError, ValueError):
                    owner = None
                if owner != run_id:
                    raise OSError("held by another run")
            if first:
                fh.seek(0)
                fh.truncate()
                fh.write(f" {os.getpid()}\n")  # the content zc.lockfile writes, so dvc reads it as usual
                fh.flush()
                info = {"engine": engine, "run": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "stage": stage}
                (root / HOLDER).write_text(json.dumps(info) + "\n")
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)  # let this run's jobs join
        except OSError:
            fh.close()
            raise _busy(root, who) from None
    return fh


def hold_working_copy(engine: str, root: str | os.PathLike = ".") -> None:
    """Hold the run lock for this (engine) process's lifetime, or raise WorkingCopyBusy naming the holder.

    The run id goes to the jobs this process starts (ARC_RUN_ID); a process that already has one (a
    SLURM job's own snakemake) joins that run.
    """
    root = Path(root)
    if not (root / ".dvc").is_dir():
        return  # not a DVC repository: no other engine can run here
    run_id = os.environ.get(RUN_ID) or f"{engine}:{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"
    _held.append(_claim(root, engine, run_id, engine))
    os.environ[RUN_ID] = run_id


class stage_lock:
    """Hold the run lock (shared with this command's engine run) while a stage command runs."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root or os.environ.get("DVC_ROOT") or ".")
        self.fh: IO | None = None

    def __enter__(self) -> "stage_lock":
        if not (self.root / ".dvc").is_dir():
            return self
        host, pid = socket.gethostname(), os.getpid()
        stage = os.environ.get("DVC_STAGE")
        if stage:  # launched by dvc, which runs one command at a time and has let go of its own lock
            engine, run_id = "dvc", f"dvc-stage:{host}:{pid}"
        elif os.environ.get(RUN_ID):
            engine, run_id = os.environ[RUN_ID].split(":", 1)[0], os.environ[RUN_ID]
        else:
            engine, run_id = "hand-started stage", f"manual:{host}:{pid}"
        self.fh = _claim(self.root, engine, run_id, "this stage", stage=stage)
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
