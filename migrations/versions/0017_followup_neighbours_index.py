"""A citizen's contact history also answers the rollups' follow-up look-ups from the index.

For each new contact the incremental rollups read the citizen's inbound contacts within 14 days
(direction, service, outcome, times and bucket). Carrying direction, service_id, outcome and
ended_at in ix_interactions_citizen_history lets that read skip the table, as the 360 view's
already does. PostgreSQL only (SQLite has no INCLUDE). Built concurrently under a new name, then
swapped, so that a live table is never locked against writes for the build.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

NAME = "ix_interactions_citizen_history"
KEY = "citizen_id, started_at, id"


def _rebuild(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}_new")
        op.execute(
            f"CREATE INDEX CONCURRENTLY {NAME}_new ON interactions ({KEY}) INCLUDE ({include})"
        )
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
        op.execute(f"ALTER INDEX {NAME}_new RENAME TO {NAME}")


def upgrade():
    _rebuild("channel_code, department_id, direction, service_id, outcome, ended_at")


def downgrade():
    _rebuild("channel_code, department_id")
