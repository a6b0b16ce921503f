"""Method names in results/ and how reports label them.

Result folders are named by row, with the sparsity appended for rows that
have an attention module (``arc_full-rho0.85``; the suffix is
``arc.stage_table.rho_tag``). The row name without the suffix is the *base* name,
which is what the paper's tables list.
"""

from __future__ import annotations

from arc.dag import base_method, evaluated_methods, oracle_methods, row_method
from arc.reports.paper import is_embedded_benchmark
from arc.stage_table import rho_tag

# Used when params.yaml gives no label (e.g. for the oracle row, which is not a training row).
DEFAULT_LABELS: dict[str, str] = {
    "syn_only": "syn only",
    "real_only": "real only",
    "mix": "mix training",
    "mix_ft": "mix + fine-tuning",
    "arc_t": "ARC: T",
    "arc_a": "ARC: A",
    "arc_at": "ARC: A&T",
    "arc_ai": "ARC: A&I",
    "arc_full": "ARC: full",
    "oracle_declutter": "oracle declutter",
    "oracle_mask": "oracle mask (true clutter as A)",
    "oracle_flat_mask": "oracle flat mask (true flat clutter as A)",
    "oracle_flat_mask_t": "oracle flat mask on ARC: T (true flat clutter removed, T's D)",
    "t2net": "T2Net",
    "crdoco": "CrDoCo",
    "gasda": "GASDA",
}
BASELINE_METHODS = ("syn_only", "real_only", "mix")
# The paper's order: the domain-adaptation peers open Tables 2 and 3.
# mix_ft (not in the paper) is the control for ARC's fine-tuning budget: mix's D fine-tuned by the
# same Alg. 1 schedule with no module, so ARC rows can be read against it.
TABLE_ROW_ORDER = ("t2net", "crdoco", "gasda", "syn_only", "real_only", "mix", "mix_ft", "arc_t", "arc_a", "arc_at", "arc_ai", "arc_full")


def method_rhos(params: dict) -> dict[str, float]:
    """The rho each evaluated method was trained at, from the settings (rows with A only)."""
    if not params.get("rows") or params.get("rho") is None or params.get("rho_sweep") is None:
        return {}  # a partial settings file (a report run by hand): nothing planned to compare with
    return {method: rho for method, (row, rho) in evaluated_methods(params, oracles=True).items()
            if rho is not None and "A" in params["rows"][row]["modules"]}


def method_label(method: str, params: dict | None = None) -> str:
    base = base_method(method)
    rows = (params or {}).get("rows") or {}
    label = (rows.get(base) or {}).get("label") or DEFAULT_LABELS.get(base, base)
    return label


def result_name(row: str, params: dict, rho: float | None = None) -> str:
    """Folder name of a Table-2 row: rows with A carry the rho suffix (the workflow's naming, arc.dag)."""
    return row_method(params, row, rho)


def table_methods(params: dict) -> list[str]:
    """The result names of the main table's rows, in the paper's order, plus the oracle row
    on the embedded (SynthRooms) benchmark."""
    rows = [r for r in TABLE_ROW_ORDER if r in (params.get("rows") or {})]
    rows += [r for r in (params.get("rows") or {}) if r not in rows]
    methods = [result_name(r, params) for r in rows]
    if is_embedded_benchmark(params.get("benchmark", "")):
        methods += list(oracle_methods(params))
    return methods


def arc_full_method(params: dict) -> str:
    return result_name("arc_full", params)


def sweep_methods(params: dict) -> list[str]:
    return [f"arc_full-{rho_tag(r)}" for r in params.get("rho_sweep") or []]
