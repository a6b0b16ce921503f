"""Mirror a script's stdout/stderr into a log file (Snakemake `log:` / DVC stage logs).

Scripts keep printing progress to the terminal; the same text lands in the log
file that the workflow declares, so a failed branch can be read afterwards.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator, TextIO


class _Tee:
    def __init__(self, stream: TextIO, log: TextIO):
        self._stream = stream
        self._log = log

    def write(self, text: str) -> int:
        self._log.write(text)
        return self._stream.write(text)

    def flush(self) -> None:
        self._log.flush()
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def tee_output(log_path: str | Path | None) -> Iterator[None]:
    if log_path is None:
        yield
        return
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Line-buffered: a job killed by SIGKILL or a wall time keeps everything printed up to then.
    with open(log_path, "w", encoding="utf-8", buffering=1) as log:
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Tee(old_out, log), _Tee(old_err, log)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = old_out, old_err
