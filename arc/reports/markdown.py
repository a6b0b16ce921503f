"""Small helpers to render Markdown tables of metrics."""

from __future__ import annotations

import math

from arc.evaluation.metrics import LOWER_IS_BETTER, METRIC_KEYS, METRIC_LABELS


def metric_header() -> list[str]:
    return [f"{METRIC_LABELS[k]} {'↓' if LOWER_IS_BETTER[k] else '↑'}" for k in METRIC_KEYS]


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_value(value, std=None, digits: int = 3) -> str:
    """``0.186`` or ``0.186 ± 0.004``; an en dash for a value that was not reported."""
    if _is_missing(value):
        return "–"
    text = f"{float(value):.{digits}f}"
    if not _is_missing(std):
        text += f" ± {float(std):.{digits}f}"
    return text


def fmt_delta(value, digits: int = 3) -> str:
    """A difference with an arrow for its sign, as in the paper's Table 4 (``↓0.015``)."""
    if _is_missing(value):
        return "–"
    text = f"{abs(float(value)):.{digits}f}"
    if float(text) == 0.0:  # no arrow on a difference that rounds to zero
        return text
    return ("↓" if value < 0 else "↑") + text


def _escape(cell: str) -> str:
    return str(cell).replace("|", "\\|")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
