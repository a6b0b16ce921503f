"""One lock per working copy, shared by Snakemake and DVC runs.

Both engines write the same folders (data/cache, runs/, results/, reports/): a `dvc repro` started
beside a running snakemake would delete and rebuild outputs under its jobs. The lock is DVC's own
repository lock (.dvc/tmp/lock, an flock taken by zc.lockfile), so `dvc repro` needs no wrapper: a
Snakemake run takes it in its `onstart` handler and holds it until the snakemake process ends
(the kernel drops an flock when its holder dies, so a killed run leaves no stale lock). A second
engine is refused: dvc with its own "Unable to acquire lock" message, snakemake with one line
naming the holder, from .arc.lock (engine, pid, host, start time).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from arc.errors import ArcError

DVC_LOCK = Path(".dvc") / "tmp" / "lock"
HOLDER = Path(".arc.lock")

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
        return f"a {info['engine']} run (pid {pid} on {info.get('host')}, started {info.get('started')})"
    return f"a dvc run (pid {pid})" if pid is not None else "another dvc or snakemake run"


def hold_working_copy(engine: str, root: str | os.PathLike = ".") -> None:
    """Take the working copy's lock for this process's lifetime, or raise WorkingCopyBusy naming the holder."""
    root = Path(root)
    if not (root / ".dvc").is_dir():
        return  # not a DVC repository: no other engine can run here
    (root / DVC_LOCK).parent.mkdir(parents=True, exist_ok=True)
    fh = open(root / DVC_LOCK, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise WorkingCopyBusy(
            f"{(root / DVC_LOCK).resolve()} is held by {_describe_holder(root)}: one engine at a time writes this "
            f"working copy's outputs; wait for that run to end (or stop it) and start {engine} again"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f" {os.getpid()}\n")  # the content zc.lockfile writes, so dvc reads it as usual
    fh.flush()
    _held.append(fh)
    info = {"engine": engine, "pid": os.getpid(), "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    (root / HOLDER).write_text(json.dumps(info) + "\n")
