"""One file write at a time, off the training thread.

The selected checkpoint (checkpoint.pt: hundreds of MB for the paper's D) is written whenever an
epoch improves on validation. Its digest, pickling and disk write take about a second, which on a
GPU is a fifth of an authors' epoch; the tensors are already copied to the host when the write is
submitted, so the write can overlap the next epoch's steps. ``wait()`` joins the pending write and
re-raises its error; callers wait before anything that must see the file on disk (the resume state,
which records which epoch checkpoint.pt holds, and publishing the stage).
"""

from __future__ import annotations

import threading
from typing import Callable


class BackgroundWriter:
    def __init__(self, name: str = "checkpoint-writer"):
        self._name = name
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def submit(self, write: Callable[[], None]) -> None:
        """Start ``write`` once the previous write has finished (at most one is pending)."""
        self.wait()

        def run() -> None:
            try:
                write()
            except BaseException as exc:  # re-raised on the training thread by wait()
                self._error = exc

        self._thread = threading.Thread(target=run, name=self._name)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error
