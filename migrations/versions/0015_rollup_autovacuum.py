"""The rollup tables are vacuumed and analysed sooner, and leave room for in-place updates.

Every incremental batch updates counters in place and a rebuild rewrites whole days, so these
small, hot tables collect dead row versions far faster than the default thresholds (20 % of
the table) notice; the KPI query then reads mostly dead rows (see
cgcrm/metrics/rollups/maintenance.py). A fillfactor of 80 lets an update of counters (no
indexed column changes) stay on its page as a HOT update. PostgreSQL only; nothing on SQLite.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("interaction_daily_rollups", "case_daily_rollups")
SETTINGS = (
    "fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor, "
            "autovacuum_analyze_scale_factor)"
        )
