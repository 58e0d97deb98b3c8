"""Identity resolution (issue 11): match models, duplicate review, merges, scans, bulk imports;
a citizen needs one name, not both.

Each helper of issue 11 keeps its schema changes inside its own section below.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "duplicate_scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("records_total", sa.Integer(), nullable=True),
        sa.Column("records_done", sa.Integer(), nullable=False),
        sa.Column("pairs_compared", sa.Integer(), nullable=False),
        sa.Column("pairs_filed", sa.Integer(), nullable=False),
        sa.Column("resume_after", sa.Uuid(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed')",
            name=op.f("ck_duplicate_scans_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_scans")),
    )
    op.create_table(
        "match_models",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("match_threshold", sa.Float(), nullable=False),
        sa.Column("possible_threshold", sa.Float(), nullable=False),
        sa.Column(
            "training",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_by", sa.String(length=80), nullable=False),
        sa.CheckConstraint("status IN ('active', 'retired')", name=op.f("ck_match_models_status")),
        sa.CheckConstraint(
            "possible_threshold >= 0 AND possible_threshold <= match_threshold "
            "AND match_threshold <= 1",
            name=op.f("ck_match_models_thresholds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_models")),
        sa.UniqueConstraint("version", name=op.f("uq_match_models_version")),
    )
    op.create_table(
        "citizen_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column(
            "mapping",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("linked", sa.Integer(), nullable=False),
        sa.Column("review", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("format IN ('csv', 'ndjson')", name=op.f("ck_citizen_imports_format")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'completed', 'failed')",
            name=op.f("ck_citizen_imports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_citizen_imports_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_imports")),
    )
    with op.batch_alter_table("citizen_imports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_citizen_imports_department_created", ["department_id", "created_at"], unique=False
        )

    op.create_table(
        "duplicate_pairs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("other_citizen_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("merge_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("band IN ('match', 'possible')", name=op.f("ck_duplicate_pairs_band")),
        sa.CheckConstraint(
            "source IN ('create', 'import', 'scan')", name=op.f("ck_duplicate_pairs_source")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'merged')", name=op.f("ck_duplicate_pairs_status")
        ),
        sa.CheckConstraint(
            "citizen_id < other_citizen_id", name=op.f("ck_duplicate_pairs_ordered")
        ),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_duplicate_pairs_score")),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_duplicate_pairs_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["other_citizen_id"],
            ["citizens.id"],
            name=op.f("fk_duplicate_pairs_other_citizen_id_citizens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_pairs")),
        sa.UniqueConstraint(
            "citizen_id", "other_citizen_id", name=op.f("uq_duplicate_pairs_citizen_id")
        ),
    )
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_duplicate_pairs_other", ["other_citizen_id"], unique=False)
        batch_op.create_index("ix_duplicate_pairs_queue", ["status", "score", "id"], unique=False)

    op.create_table(
        "import_rows",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("pair_id", sa.Uuid(), nullable=True),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "outcome IN ('created', 'linked', 'review', 'rejected')",
            name=op.f("ck_import_rows_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_import_rows_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["citizen_imports.id"],
            name=op.f("fk_import_rows_import_id_citizen_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["duplicate_pairs.id"], name=op.f("fk_import_rows_pair_id_duplicate_pairs")
        ),
        sa.PrimaryKeyConstraint("import_id", "row_number", name=op.f("pk_import_rows")),
    )
    op.create_table(
        "merges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("survivor_id", sa.Uuid(), nullable=False),
        sa.Column("duplicate_id", sa.Uuid(), nullable=False),
        sa.Column("pair_id", sa.Uuid(), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "moved",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("survivor_version", sa.Integer(), nullable=False),
        sa.Column("duplicate_version", sa.Integer(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_by", sa.String(length=80), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=80), nullable=True),
        sa.CheckConstraint("survivor_id <> duplicate_id", name=op.f("ck_merges_distinct_records")),
        sa.ForeignKeyConstraint(
            ["duplicate_id"], ["citizens.id"], name=op.f("fk_merges_duplicate_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["duplicate_pairs.id"], name=op.f("fk_merges_pair_id_duplicate_pairs")
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["citizens.id"], name=op.f("fk_merges_survivor_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    with op.batch_alter_table("merges", schema=None) as batch_op:
        batch_op.create_index("ix_merges_duplicate", ["duplicate_id"], unique=False)
        batch_op.create_index("ix_merges_survivor", ["survivor_id"], unique=False)

    with op.batch_alter_table("citizen_names", schema=None) as batch_op:
        batch_op.alter_column("given_name", existing_type=sa.VARCHAR(length=100), nullable=True)
        batch_op.alter_column("family_name", existing_type=sa.VARCHAR(length=100), nullable=True)
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.alter_column("given_name", existing_type=sa.VARCHAR(length=100), nullable=True)
        batch_op.alter_column("family_name", existing_type=sa.VARCHAR(length=100), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_citizens_a_name"), "given_name IS NOT NULL OR family_name IS NOT NULL"
        )
    # --- Bulk import (helper IMPORT): a row's key, so a re-import recognises its rows. ---
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_import_rows_row_key", ["row_key"], unique=False)
    # --- end of bulk import ---

    _upgrade_realtime_match_indexes()


# --- Block of helper ENGINE-2: covering indexes for the real-time match. ---------------------
# The match probes citizen_names by (family, given) and (given, family) keys and addresses by
# postcode for citizen ids alone: with the id in the index those are index-only scans, no heap
# page per row (the cost of a common name against a million people). Same names, same leading
# columns as before, so the search's probes use them as they did.
_MATCH_INDEXES = (
    ("ix_citizen_names_family_given", "citizen_names", ["family_key", "given_key"], ["citizen_id"]),
    ("ix_citizen_names_given", "citizen_names", ["given_key", "family_key"], ["citizen_id"]),
    ("ix_addresses_postcode_key", "addresses", ["postcode_key"], ["citizen_id"]),
    # A citizen's name keys, and the people born on a date, read from the index alone.
    ("ix_citizen_names_citizen_id", "citizen_names", ["citizen_id"], ["given_key", "family_key"]),
    ("ix_citizens_date_of_birth", "citizens", ["date_of_birth"], ["id"]),
)
_MATCH_INDEXES_BEFORE = {
    "ix_citizen_names_family_given": ["family_key", "given_key"],
    "ix_citizen_names_given": ["given_key"],
    "ix_addresses_postcode_key": ["postcode_key"],
    "ix_citizen_names_citizen_id": ["citizen_id"],
    "ix_citizens_date_of_birth": ["date_of_birth"],
}


def _upgrade_realtime_match_indexes():
    for name, table, columns, included in _MATCH_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, postgresql_include=included)
    # The coarse ranking reads each candidate's birth date and status without its heap page.
    op.create_index(
        "ix_citizens_match_rank", "citizens", ["id"], postgresql_include=["date_of_birth", "status"]
    )


def _downgrade_realtime_match_indexes():
    op.drop_index("ix_citizens_match_rank", table_name="citizens")
    for name, table, _, _ in _MATCH_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, _MATCH_INDEXES_BEFORE[name])


# --- End of block of helper ENGINE-2. ---------------------------------------------------------


def downgrade():
    _downgrade_realtime_match_indexes()
    # --- Bulk import (helper IMPORT) ---
    with op.batch_alter_table("import_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_import_rows_row_key")
        batch_op.drop_column("row_key")
    # --- end of bulk import ---

    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_citizens_a_name"), type_="check")
        batch_op.alter_column("family_name", existing_type=sa.VARCHAR(length=100), nullable=False)
        batch_op.alter_column("given_name", existing_type=sa.VARCHAR(length=100), nullable=False)

    with op.batch_alter_table("citizen_names", schema=None) as batch_op:
        batch_op.alter_column("family_name", existing_type=sa.VARCHAR(length=100), nullable=False)
        batch_op.alter_column("given_name", existing_type=sa.VARCHAR(length=100), nullable=False)

    with op.batch_alter_table("merges", schema=None) as batch_op:
        batch_op.drop_index("ix_merges_survivor")
        batch_op.drop_index("ix_merges_duplicate")

    op.drop_table("merges")
    op.drop_table("import_rows")
    with op.batch_alter_table("duplicate_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_duplicate_pairs_queue")
        batch_op.drop_index("ix_duplicate_pairs_other")

    op.drop_table("duplicate_pairs")
    with op.batch_alter_table("citizen_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_imports_department_created")

    op.drop_table("citizen_imports")
    op.drop_table("match_models")
    op.drop_table("duplicate_scans")
