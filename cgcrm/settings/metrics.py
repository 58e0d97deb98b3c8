"""The metrics rollups: catch-up, incremental updates, rebuilds and reconciliation
(cgcrm.metrics).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

METRICS: tuple[Setting, ...] = (
    Setting(
        "METRICS_CATCH_UP_INTERVAL",
        int,
        300,
        "Seconds between runs of the metrics catch-up, which applies the metrics handlers to "
        "events the worker has not processed within METRICS_CATCH_UP_GRACE.",
    ),
    Setting(
        "METRICS_CATCH_UP_GRACE",
        int,
        600,
        "Seconds an event may wait for the worker's metrics handlers before the catch-up "
        "applies them itself.",
    ),
    Setting(
        "METRICS_CATCH_UP_LIMIT",
        int,
        20000,
        "Most events one catch-up run applies (the rest wait for the next run).",
    ),
    Setting(
        "METRICS_INCREMENTAL_IN_SQL",
        bool,
        True,
        "On PostgreSQL, add new contacts to the rollups with one set-based statement per batch "
        "(false: the Python rules SQLite runs; both give the same rollups).",
    ),
    Setting(
        "METRICS_REBUILD_WORK_MEM",
        str,
        "256MB",
        "PostgreSQL work_mem of a rollup rebuild's transaction (its window functions sort a "
        "range's contacts; the server's default spills them to disk).",
    ),
    Setting(
        "METRICS_REBUILD_PARALLELISM",
        int,
        4,
        "PostgreSQL connections a rollup rebuild computes its contact parts on at once, sharing "
        "its transaction's snapshot (the follow-ups in this number less two ranges of citizens); "
        "1: one part after the other, in the rebuild's transaction.",
    ),
    Setting(
        "METRICS_RECONCILE_INTERVAL",
        int,
        86400,
        "Seconds between reconciliations of the rollups with raw data (nightly by default).",
    ),
    Setting(
        "METRICS_RECONCILE_DAYS",
        int,
        7,
        "Days (today included) the reconciliation recomputes from raw data and compares with "
        "the stored rollups; each drift is logged and those days rebuilt.",
    ),
)
