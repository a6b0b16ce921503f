"""The results-directory layout shared by prediction (writer) and reports (readers).

    results/<benchmark>/seed<S>/<method>/
        metrics.json      {"format": "arc-results/1", method, seed, rho, benchmark, dataset, split,
                           protocol, protocol_details, n_images, n_valid_images,
                           test_frames{evaluated, listed, skipped, why}, metrics{7},
                           mask_iou, keep_rate (ARC rows with a mask; mask_iou needs a clutter mask),
                           input_array, checkpoint,
                           also_protocols{<name>: {protocol_details, n_valid_images, metrics{7},
                                                   per_sample}}   (only with evaluation.also_protocols)}
        per_sample.csv    name, abs_rel, sq_rel, rms, rms_log, delta1, delta2, delta3, n_valid
        per_sample.<name>.csv   the same columns under also-protocol <name>
        pred/<name>.npy   float16 metres (raw network output, before the protocol's clamp)
        mask/<name>.png   uint8 0/255, 255 = kept (only when the row has an attention module)

``protocol``, ``metrics``, ``n_valid_images`` and per_sample.csv are the primary protocol's
(evaluation.protocol). Each also-protocol scores the same predictions once more, so its numbers
differ from the primary's only by the protocol (pixels counted, pooling, clamp). A reader asking
for a protocol gets the run's numbers under it, primary or not (``load_method_runs(..., protocol)``).

Methods are ``syn_only, real_only, mix, arc_t, arc_a, arc_at, arc_ai, arc_full,
oracle_declutter`` and rho-sweep entries ``arc_full-rho<R>``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arc.errors import DataError
from arc.evaluation.metrics import METRIC_KEYS
from arc.utils.atomic import atomic_write_text

RESULTS_FORMAT = "arc-results/1"
METRICS_FILE = "metrics.json"
PER_SAMPLE_FILE = "per_sample.csv"
PRED_DIR = "pred"
MASK_DIR = "mask"
PER_SAMPLE_COLUMNS = ("name", *METRIC_KEYS, "n_valid")
_SEED_DIR = re.compile(r"^seed(\d+)$")


def method_dir(results_root: str | Path, seed: int, method: str) -> Path:
    return Path(results_root) / f"seed{int(seed)}" / method


def per_sample_file(protocol: str | None = None) -> str:
    """per_sample.csv (primary protocol), or per_sample.<protocol>.csv for an also-protocol."""
    return PER_SAMPLE_FILE if protocol is None else f"per_sample.{protocol}.csv"


def also_protocol_block(scorer) -> dict:
    """metrics.json's entry for one also-protocol, from its ``arc.evaluation.scoring.Scorer``."""
    return {"protocol_details": scorer.protocol.summary(), "n_valid_images": scorer.n_valid_images,
            "metrics": scorer.metrics(), "per_sample": per_sample_file(scorer.protocol.name)}


def write_per_sample_csv(path: str | Path, rows: list[dict]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PER_SAMPLE_COLUMNS), extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (repr(float(row[k])) if k in METRIC_KEYS else row[k]) for k in PER_SAMPLE_COLUMNS})
    return atomic_write_text(path, buf.getvalue())


def read_per_sample_csv(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"per-sample results {path} not found (written by `arc predict`)")
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in PER_SAMPLE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: missing columns {missing}; expected {list(PER_SAMPLE_COLUMNS)}")
        rows = []
        for row in reader:
            try:
                out = {"name": row["name"], "n_valid": int(row["n_valid"])}
                out.update({k: float(row[k]) for k in METRIC_KEYS})
            except (TypeError, ValueError):  # a field missing (None) or not a number: a cut or damaged file
                raise DataError(f"{path}, line {reader.line_num}: missing or non-numeric values; the file is cut or "
                                "damaged: rerun the evaluation that writes it (`arc predict`)") from None
            rows.append(out)
    return rows


@dataclass
class MethodRun:
    """One method's results for one seed."""

    method: str
    seed: int
    path: Path
    info: dict  # metrics.json, or its view under an also-protocol (see under_protocol)
    per_sample_name: str = PER_SAMPLE_FILE

    @property
    def metrics(self) -> dict[str, float]:
        return self.info["metrics"]

    def per_sample(self) -> list[dict]:
        return read_per_sample_csv(self.path / self.per_sample_name)

    def pred_path(self, name: str) -> Path:
        return self.path / PRED_DIR / f"{name}.npy"

    def mask_path(self, name: str) -> Path:
        return self.path / MASK_DIR / f"{name}.png"

    def load_pred(self, name: str) -> np.ndarray:
        path = self.pred_path(name)
        if not path.is_file():
            raise DataError(f"prediction {path} not found (results of {self.method}, seed {self.seed})")
        return np.load(path, allow_pickle=False).astype(np.float32)

    @property
    def has_masks(self) -> bool:
        return (self.path / MASK_DIR).is_dir()


def read_metrics_json(path: str | Path) -> dict:
    path = Path(path)
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"results file {path} not found") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    missing = [k for k in ("method", "seed", "protocol", "metrics") if k not in info]
    if missing:
        raise DataError(f"{path}: missing keys {missing} (expected the {RESULTS_FORMAT} metrics.json layout)")
    absent = [k for k in METRIC_KEYS if k not in info["metrics"]]
    if absent:
        raise DataError(f"{path}: metrics lacks {absent}")
    for name, block in (info.get("also_protocols") or {}).items():
        lacking = [k for k in ("protocol_details", "n_valid_images", "metrics") if k not in block]
        lacking += [f"metrics.{k}" for k in METRIC_KEYS if k not in block.get("metrics", {})]
        if lacking:
            raise DataError(f"{path}: also_protocols.{name} lacks {lacking} (expected the {RESULTS_FORMAT} layout)")
    return info


def under_protocol(info: dict, protocol: str, path: str | Path) -> dict:
    """``info`` as if ``protocol`` were its primary protocol: itself when it is, else the view of
    its also-protocol block (``primary_protocol`` names the real one); DataError when the run was
    not scored under ``protocol``."""
    if info["protocol"] == protocol:
        return info
    also = info.get("also_protocols") or {}
    if protocol not in also:
        scored = f" (and also {', '.join(map(repr, also))})" if also else ""
        raise DataError(f"{path}: evaluated with protocol {info['protocol']!r}{scored}, but {protocol!r} was requested")
    block = also[protocol]
    return {**info, "protocol": protocol, "primary_protocol": info["protocol"],
            "protocol_details": block["protocol_details"], "n_valid_images": block["n_valid_images"],
            "metrics": block["metrics"]}


# The training seeds the settings name (``seeds``); reports read only those, whatever else is on disk.
_SEEDS_IN_SCOPE: ContextVar[tuple[int, ...] | None] = ContextVar("seeds_in_scope", default=None)


@contextmanager
def seeds_in_scope(seeds):
    """Within the block, results are read for these seeds only (None: every seed folder). Results
    of other seeds (left from an earlier ``seeds`` setting) are ignored, and the log says so."""
    token = _SEEDS_IN_SCOPE.set(None if seeds is None else tuple(int(s) for s in seeds))
    try:
        yield
    finally:
        _SEEDS_IN_SCOPE.reset(token)


def find_seeds(results_root: str | Path) -> list[int]:
    root = Path(results_root)
    if not root.is_dir():
        raise DataError(f"results folder {root} does not exist (expected results/<benchmark>/seed<S>/<method>/)")
    seeds = sorted(int(m.group(1)) for p in root.iterdir() if p.is_dir() and (m := _SEED_DIR.match(p.name)))
    scope = _SEEDS_IN_SCOPE.get()
    if scope is None:
        return seeds
    stale = [s for s in seeds if s not in scope]
    if stale:
        print(f"note: ignoring the results of seeds {stale} under {root}: the settings name seeds {list(scope)}",
              file=sys.stderr)
    return [s for s in seeds if s in scope]


def load_method_runs(
    results_root: str | Path, method: str, protocol: str | None = None, seeds: list[int] | None = None
) -> list[MethodRun]:
    """All seeds' results of ``method`` (sorted by seed); empty list if none exist.

    With ``protocol``, each run's numbers under that protocol (its primary or one of its
    also-protocols); a run not scored under it is a DataError: mixing protocols in one table
    would compare different things.
    """
    runs = []
    for seed in seeds if seeds is not None else find_seeds(results_root):
        path = method_dir(results_root, seed, method)
        if not (path / METRICS_FILE).is_file():
            continue
        info = read_metrics_json(path / METRICS_FILE)
        per_sample_name = PER_SAMPLE_FILE
        if protocol is not None and info["protocol"] != protocol:
            info = under_protocol(info, protocol, path / METRICS_FILE)
            per_sample_name = per_sample_file(protocol)
        runs.append(MethodRun(method=method, seed=seed, path=path, info=info, per_sample_name=per_sample_name))
    return runs


def require_method_runs(
    results_root: str | Path, method: str, protocol: str | None = None, seeds: list[int] | None = None
) -> list[MethodRun]:
    runs = load_method_runs(results_root, method, protocol, seeds)
    if not runs:
        raise DataError(
            f"no results for method {method!r} under {results_root} "
            f"(looked for {Path(results_root) / 'seed*' / method / METRICS_FILE})"
        )
    return runs


def list_methods(results_root: str | Path) -> list[str]:
    """Every method name that has a metrics.json under any seed."""
    root = Path(results_root)
    names = set()
    for seed in find_seeds(root):
        for path in (root / f"seed{seed}").iterdir():
            if (path / METRICS_FILE).is_file():
                names.add(path.name)
    return sorted(names)
