"""Payment reconciliation (issue 12): one stored run per business day and provider, with the
differences it found between the provider's settlement report and the journal.

Re-running a day replaces its run (the items go with it, ON DELETE CASCADE).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("ledger_count", sa.Integer(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("ledger_totals", JSON_DOCUMENT, nullable=False),
        sa.Column("report_totals", JSON_DOCUMENT, nullable=False),
        sa.Column("difference_count", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("run_by", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
        sa.UniqueConstraint("business_date", "provider", name="uq_reconciliation_runs_day"),
    )
    op.create_table(
        "reconciliation_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entry_kind", sa.String(length=10), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("payment_reference", sa.String(length=20), nullable=True),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("service_code", sa.String(length=40), nullable=True),
        sa.Column("ledger_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("report_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("our_state", sa.String(length=20), nullable=True),
        sa.Column("report_state", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_items_run_id_reconciliation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_items")),
    )
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliation_items_run", ["run_id", "id"], unique=False)
        batch_op.create_index(
            "ix_reconciliation_items_day", ["business_date", "provider"], unique=False
        )
        batch_op.create_index("ix_reconciliation_items_payment", ["payment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_items", schema=None) as batch_op:
        batch_op.drop_index("ix_reconciliation_items_payment")
        batch_op.drop_index("ix_reconciliation_items_day")
        batch_op.drop_index("ix_reconciliation_items_run")
    op.drop_table("reconciliation_items")
    op.drop_table("reconciliation_runs")
