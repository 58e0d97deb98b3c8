"""The audit trail is sealed by the worker with a keyed chain, and the database keeps it.

Requests now write an event with one INSERT. The worker seals events afterwards into
``audit_seals`` (HMAC chain, keys outside the database) and records each run's head in
``audit_checkpoints`` (signed; the same record goes to a file outside the database). The
unkeyed per-event hashes and the per-citizen chain heads are dropped: events already stored are
sealed by the first sealing run (``flask audit seal``).

On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE on the three tables; the only
DELETE it lets through is a retention purge's, inside the transaction that recorded the purge
(``flask audit purge``), for the rows that purge covers. UPDATE, DELETE and TRUNCATE are also
revoked from PUBLIC; in production the application runs as a role that is granted only SELECT
and INSERT on them (README, "Audit trail").

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AUDIT_TABLES = ("audit_events", "audit_seals", "audit_checkpoints")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

REFUSE_CHANGE = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    purge_id text := current_setting('cgcrm.audit_purge', true);
    through bigint;
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(purge_id, '') <> '' THEN
        SELECT through_position INTO through FROM audit_checkpoints
         WHERE id = purge_id::bigint AND kind = 'purge';
        IF through IS NOT NULL THEN
            -- Nested: PL/pgSQL does not promise to skip OLD.position on another table.
            IF TG_TABLE_NAME = 'audit_seals' THEN
                IF OLD.position <= through THEN
                    RETURN OLD;
                END IF;
            ELSIF TG_TABLE_NAME = 'audit_events' THEN
                IF EXISTS (
                    SELECT 1 FROM audit_seals s WHERE s.seq = OLD.seq AND s.position <= through
                ) THEN
                    RETURN OLD;
                END IF;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'retention deletes only through flask audit purge';
END
$$
"""
REFUSE_TRUNCATE = """
CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: TRUNCATE on % refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("hash")
    op.create_table(
        "audit_seals",
        sa.Column("position", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("seq", BIG_ID, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_seals")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_seals_seq")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("through_position", BIG_ID, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("max_seq", BIG_ID, nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("purged_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    if _postgresql():
        op.execute(REFUSE_CHANGE)
        op.execute(REFUSE_TRUNCATE)
        for table in AUDIT_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate()"
            )
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")


def downgrade():
    if _postgresql():
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_truncate()")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_seals")
    # The unkeyed chain cannot be rebuilt: events come back with genesis hashes.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default="0" * 64)
        )
        batch_op.add_column(
            sa.Column("hash", sa.String(length=64), nullable=False, server_default="0" * 64)
        )
    op.create_table(
        "audit_chain_heads",
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", name=op.f("pk_audit_chain_heads")),
    )
