"""The migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from cgcrm.extensions import db

# Created by migrations only: PostgreSQL-specific, with no model-level equivalent.
MIGRATION_ONLY_INDEXES = {"ix_name_tokens_trgm"}


def _declared_elsewhere(diff: object) -> bool:
    return (
        isinstance(diff, tuple)
        and diff[0] == "remove_index"
        and diff[1].name in MIGRATION_ONLY_INDEXES
    )


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert [d for d in diffs if not _declared_elsewhere(d)] == []
