"""Keeping the rollup tables small to read after they were rewritten.

A rebuild deletes and reinserts every bucket of its days, and each incremental batch updates
buckets in place: both leave dead row versions behind. On the 10M-contact bench database a
rebuilt `interaction_daily_rollups` held 606,133 dead rows beside 119,418 live ones, and the
90-day KPI query read 137 MB of heap instead of a few: p95 177 ms over HTTP, 76 ms once
vacuumed (docs/benchmarks.md). So a rebuild is followed by ``VACUUM (ANALYZE)``, and migration
0015 makes autovacuum visit these tables sooner.
"""

from __future__ import annotations

from sqlalchemy import text

from cgcrm.extensions import db

ROLLUP_TABLES = ("interaction_daily_rollups", "case_daily_rollups", "case_resolutions")


def vacuum_rollups() -> None:
    """``VACUUM (ANALYZE)`` the rollup tables on PostgreSQL (outside any transaction); a no-op
    elsewhere. Fresh statistics matter as much: without them the planner chose a nested loop
    that doubled the KPI query's time."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {', '.join(ROLLUP_TABLES)}"))
