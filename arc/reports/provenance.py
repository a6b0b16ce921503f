"""What a report ran on, and what the runs it summarises ran on: ``<report stem>.provenance.json``.

The report files themselves stay free of commit hashes and machine data, because they are compared
byte-for-byte across runs (docs/demo-results); this sidecar beside each one holds that instead:
the report process's own record (arc.utils.provenance) and the distinct records found in the
``summary.json`` of the training runs behind it, each with the runs that share it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from arc.errors import DataError
from arc.evaluation.results import METRICS_FILE
from arc.utils.atomic import atomic_write_json

FORMAT = "arc-report-provenance/1"
SUFFIX = ".provenance.json"


def sidecar_path(out: str | Path) -> Path:
    """reports/table2.csv -> reports/table2.provenance.json (the workflow declares this name)."""
    out = Path(out)
    return out.with_name(out.stem + SUFFIX)


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read it as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def runs_behind_results(results: str | Path, methods: Iterable[str]) -> list[Path]:
    """Stage folders whose checkpoints produced results/<B>/seed*/<method>/ (metrics.json "checkpoint")."""
    runs = []
    for method in dict.fromkeys(methods):
        for metrics in sorted(Path(results).glob(f"seed*/{method}/{METRICS_FILE}")):
            checkpoint = _read_json(metrics).get("checkpoint")
            if checkpoint:
                runs.append(Path(checkpoint).parent)
    return runs


def runs_under(runs: str | Path, seeds: Iterable[int], names: Iterable[str] | None = None) -> list[Path]:
    """runs/<B>/seed<S>/<name> for the given names, or every stage folder of those seeds."""
    root = Path(runs)
    if names is not None:
        names = list(names)
        return [root / f"seed{seed}" / name for seed in seeds for name in names]
    return [p.parent for seed in seeds for p in sorted((root / f"seed{seed}").glob("*/summary.json"))]


def _label(run_dir: Path) -> str:
    try:
        return str(run_dir.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(run_dir)


def summarise_runs(run_dirs: Iterable[Path]) -> tuple[list[dict], list[str]]:
    """Distinct provenance records (each with the runs that carry it) and the runs without one."""
    groups: dict[str, dict] = {}
    missing = []
    for run_dir in dict.fromkeys(Path(r) for r in run_dirs):
        summary_path = run_dir / "summary.json"
        record = _read_json(summary_path).get("provenance") if summary_path.is_file() else None
        if not isinstance(record, dict):
            # Older runs (before summary.json carried it) or a checkpoint outside the runs tree.
            missing.append(_label(run_dir))
            continue
        key = json.dumps(record, sort_keys=True)
        groups.setdefault(key, {"provenance": record, "runs": []})["runs"].append(_label(run_dir))
    records = [groups[key] for key in sorted(groups)]
    for group in records:
        group["runs"].sort()
    return records, sorted(missing)


def write_report_provenance(out: str | Path, run_dirs: Iterable[Path], device: str = "cpu") -> Path:
    """Write the sidecar of report ``out``; reports compute in fp32, so that is the precision recorded."""
    from arc.utils.provenance import provenance  # imports torch: not at `arc --help` time

    records, missing = summarise_runs(run_dirs)
    return atomic_write_json(sidecar_path(out), {
        "format": FORMAT,
        "report": Path(out).name,
        "report_process": provenance(device, "fp32"),
        "runs": records,
        "runs_without_provenance": missing,
    })
