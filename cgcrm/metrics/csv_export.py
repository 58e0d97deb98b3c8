"""The metrics answers as flat CSV (``Accept: text/csv``), for spreadsheets.

Made from the JSON answer as serialised, so both say the same: nested objects become dotted
columns (``user_satisfaction.low``, ``contacts_by_channel.web``), null an empty cell, booleans
``true``/``false``. No cell holds free text (codes, numbers and dates only), so none can be
read as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from cgcrm.catalog.models import CHANNEL_KINDS

CSV_MEDIA_TYPE = "text/csv"


def _flatten(entry: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in entry.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write(header: list[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in header])
    return out.getvalue()


def kpis_csv(report: dict[str, Any]) -> str:
    """One row for the totals, one per period, one per group; ``scope`` says which."""
    rows = [{"scope": "total", **_flatten(report["totals"])}]
    rows += [{"scope": "period", **_flatten(entry)} for entry in report["series"]]
    rows += [{"scope": "group", **_flatten(entry)} for entry in report.get("groups") or ()]
    header = ["scope", "period_start", "period_end", "key"]
    header += [name for name in _flatten(report["totals"]) if name not in header]
    return _write(header, rows)


def compare_csv(report: dict[str, Any]) -> str:
    """One row per KPI: its value in A and B, the difference and the test."""
    periods = {name: report[name] for name in ("from_a", "to_a", "from_b", "to_b")}
    rows = [{"kpi": kpi, **figures, **periods} for kpi, figures in report["kpis"].items()]
    header = ["kpi", "a", "b", "difference", "n_a", "n_b", "z", "p_value", "significant"]
    return _write(header + list(periods), rows)


def channel_shift_csv(report: dict[str, Any]) -> str:
    """The matrix in long form: one row per (kind in A, kind in B)."""
    rows = [
        {"kind_a": kind_a, "kind_b": kind_b, "citizens": report["matrix"][kind_a][kind_b]}
        for kind_a in CHANNEL_KINDS
        for kind_b in CHANNEL_KINDS
    ]
    return _write(["kind_a", "kind_b", "citizens"], rows)
