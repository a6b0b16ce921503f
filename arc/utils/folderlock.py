"""One writer per output folder.

A stage's folder (and its ``.<name>.partial`` work folder) is written by one process at a time: the
writer holds an exclusive flock on ``.<name>.lock`` beside the folder for its whole run. The kernel
drops the lock when the process ends, however it ends, so a killed writer leaves no stale lock; a
live one (e.g. a training job that outlived its killed snakemake) makes a second writer fail at once
with one line naming the owner (pid, host, start time and command, written into the lock file).
Without it, a rerun started beside a surviving job trained into the same work folder, and whichever
finished first published a folder the other was still writing.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Iterator

from arc.errors import ArcError


class FolderBusy(ArcError):
    pass


def lock_path(folder: str | os.PathLike) -> Path:
    folder = Path(folder)
    return folder.parent / f".{folder.name}.lock"


def _describe_owner(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode())
        return (f"pid {info['pid']} on {info['host']} since {info['started']} "
                f"({' '.join(info.get('command', []))[:160]})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (it has not written its name yet)"


def _acquire(folder: Path) -> int:
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _describe_owner(fd)
            os.close(fd)
            raise FolderBusy(
                f"{folder} is being written by {owner}; one process writes a stage's folder: wait for that run "
                f"to end (or stop it) and start again. The lock is {path}"
            ) from None
        # A finishing owner unlinks the file before it lets go: lock the file that is there now.
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "command": sys.argv}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    return fd


@contextlib.contextmanager
def own_folder(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold the writer lock of ``folder`` for the block, or raise FolderBusy naming the writer."""
    folder = Path(folder)
    fd = _acquire(folder)
    try:
        yield folder
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path(folder))
        os.close(fd)
