"""The paper's reported numbers (Tables 2, 3, 4), stored once in paper_reference.csv.

Columns: table (table2|table3|table4), section (domain_adaptation, baseline,
arc, large_scale; inside/outside for table4), method (our row name where one
exists, else the peer method's name), label, region (table4 only), the seven
metrics (empty = not reported, e.g. DORN's Sq-Rel), dataset, note.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from arc.errors import DataError
from arc.evaluation.metrics import METRIC_KEYS
from arc.evaluation.protocols import Protocol

PAPER_REFERENCE_PATH = Path(__file__).with_name("paper_reference.csv")
PAPER_TABLES = {
    "table2": {"dataset": "NYUv2", "caption": "Table 2 (NYUv2 test set, PBRS synthetic)",
               "protocol": "authors' code: 1-8 m, metrics pooled over all test pixels"},
    "table3": {"dataset": "KITTI", "caption": "Table 3 (KITTI Eigen test split, vKITTI synthetic)",
               "protocol": "Eigen test split, depth capped at 80 m"},
    "table4": {"dataset": "NYUv2", "caption": "Table 4 (NYUv2, inside/outside ARC's mask)",
               "protocol": "per image, then averaged"},
}


def load_paper_reference(path: str | Path = PAPER_REFERENCE_PATH) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"paper reference table {path} not found (it ships with the package)")
    frame = pd.read_csv(path, keep_default_na=True)
    missing = [c for c in ("table", "section", "method", "label", *METRIC_KEYS) if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    return frame


def paper_rows(table: str, path: str | Path = PAPER_REFERENCE_PATH) -> pd.DataFrame:
    if table not in PAPER_TABLES:
        raise ValueError(f"unknown paper table {table!r}; expected one of {sorted(PAPER_TABLES)}")
    frame = load_paper_reference(path)
    return frame[frame["table"] == table].reset_index(drop=True)


def paper_table_for(protocol: Protocol) -> str:
    """Indoor protocols compare with Table 2 (NYUv2), outdoor ones with Table 3 (KITTI)."""
    return "table2" if protocol.family == "indoor" else "table3"


def is_embedded_benchmark(benchmark: str) -> bool:
    """SynthRooms is generated here: a different dataset from anything in the paper."""
    return str(benchmark).startswith("synthrooms")
