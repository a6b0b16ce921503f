"""Faults a long job meets: its traceback reaches the log, outputs honour the umask, killed writers leave no temp files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from arc.utils.atomic import atomic_directory, atomic_write_text
from arc.utils.entrypoint import INTERNAL_ERROR, run_cli


def _set_umask(mask: int) -> int:
    return os.umask(mask)


def test_outputs_honour_the_umask(tmp_path):
    old = _set_umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.csv", "a,b\n")
        with atomic_directory(tmp_path / "results") as tmp:
            (tmp / "x.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "results").stat().st_mode) == 0o755


def test_temp_files_of_a_killed_writer_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    (tmp_path / f".report.csv.{dead}.abc.tmp").write_text("half")
    (tmp_path / f".results.{dead}.def.tmp").mkdir()
    atomic_write_text(tmp_path / "report.csv", "ok\n")
    with atomic_directory(tmp_path / "results"):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "results"]


def test_unexpected_exception_traceback_reaches_the_log(tmp_path):
    # "reports" is a file, so writing reports/table.csv fails with an OSError (as a read-only or full
    # disk does), and unlike a chmod this also fails for root.
    (tmp_path / "reports").write_text("not a folder")
    log = tmp_path / "logs" / "job.log"

    def write_report(args):
        atomic_write_text(tmp_path / "reports" / "table.csv", "x\n")

    status = run_cli(lambda parser: None, write_report, "test", ["--log", str(log)])
    text = log.read_text()
    assert status == INTERNAL_ERROR
    assert "Traceback (most recent call last)" in text and "write_report" in text
    assert ("NotADirectoryError" in text) or ("FileExistsError" in text)
