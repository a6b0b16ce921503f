"""Where a workflow directory keeps a benchmark's cache, a stage's run folder and a method's results.

The same layout as the Snakefile / dvc.yaml (docs/ARCHITECTURE.md): ``<cache_root>/<benchmark>/<split>``,
``runs/<benchmark>/seed<S>/<folder>/checkpoint.pt`` and ``results/<benchmark>/seed<S>/<method>``
(``arc.evaluation.results.method_dir``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from arc.evaluation.results import METRICS_FILE, method_dir

RUNS = "runs"
RESULTS = "results"
CHECKPOINT = "checkpoint.pt"
RUN_SUMMARY = "summary.json"


@dataclass(frozen=True)
class Workdir:
    """One workflow directory (``root``) for one benchmark, with its params' cache root."""

    root: Path
    benchmark: str
    cache_root: str = "data/cache"

    @classmethod
    def of(cls, params: dict, root: str | os.PathLike = ".") -> "Workdir":
        return cls(Path(root), params["benchmark"], params["data"]["cache_root"])

    def cache(self) -> Path:
        return self.root / self.cache_root / self.benchmark

    def split(self, name: str) -> Path:
        return self.cache() / name

    def run_folder(self, seed: int, folder: str) -> Path:
        return self.root / RUNS / self.benchmark / f"seed{int(seed)}" / folder

    def checkpoint(self, seed: int, folder: str) -> Path:
        return self.run_folder(seed, folder) / CHECKPOINT

    def run_summary(self, seed: int, folder: str) -> Path:
        return self.run_folder(seed, folder) / RUN_SUMMARY

    def results_root(self) -> Path:
        return self.root / RESULTS / self.benchmark

    def metrics(self, seed: int, method: str) -> Path:
        return method_dir(self.results_root(), seed, method) / METRICS_FILE


def link_results(source: Path, target: Path) -> None:
    """Link a results folder into a diagnostic's output (kept when already there), so the output
    holds what it is compared with."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(Path(source).resolve(), target)
