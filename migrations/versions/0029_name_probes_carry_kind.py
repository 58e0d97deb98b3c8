"""The search's name probes read a row's kind from the index too (index-only scans).

A one-word search reads every name row whose family or given key is one of the word's
neighbours (up to 5,000 rows) and needs each row's kind to weigh it: without the kind in the
index each row costs a heap page, 3,000-4,000 pages for a common prefix typed in the console.
Carrying ``kind`` in ix_citizen_names_family_given and ix_citizen_names_given makes those
reads index-only. Same names and leading columns, so every other probe uses them as before.
PostgreSQL only (SQLite has no INCLUDE). Built concurrently under a new name, then swapped, so
that a live table is never locked against writes for the build.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_citizen_names_family_given", "family_key, given_key"),
    ("ix_citizen_names_given", "given_key, family_key"),
)


def _rebuild(include: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        for name, key in _INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}_new")
            op.execute(
                f"CREATE INDEX CONCURRENTLY {name}_new ON citizen_names ({key}) INCLUDE ({include})"
            )
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"ALTER INDEX {name}_new RENAME TO {name}")


def upgrade():
    _rebuild("citizen_id, kind")


def downgrade():
    _rebuild("citizen_id")
