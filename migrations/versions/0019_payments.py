"""The shared payment service (issue 12): payments, their history, refunds and the journal.

Payments move forward only through GOV.UK Pay's states; every move is a line of
payment_events. The journal has one entry per captured payment and one per successful refund
(negative), made unique per kind by two partial indexes so posting twice is a no-op.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("service_reference", sa.String(length=255), nullable=True),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("return_url", sa.String(length=2000), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("failure_code", sa.String(length=5), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("moto", sa.Boolean(), nullable=False),
        sa.Column("delayed_capture", sa.Boolean(), nullable=False),
        sa.Column("card_brand", sa.String(length=40), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_expiry", sa.String(length=5), nullable=True),
        sa.Column("till_reference", sa.String(length=100), nullable=True),
        sa.Column("provider_data", JSON_DOCUMENT, nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('web', 'phone', 'counter')", name=op.f("ck_payments_channel")
        ),
        sa.CheckConstraint(
            "failure_code IS NULL OR failure_code IN ('P0010', 'P0020', 'P0030', 'P0040', 'P0050')",
            name=op.f("ck_payments_failure_code"),
        ),
        sa.CheckConstraint(
            "finished = (state IN ('cancelled', 'error', 'failed', 'success'))",
            name=op.f("ck_payments_finished"),
        ),
        sa.CheckConstraint(
            "state IN ('created', 'started', 'submitted', 'capturable', 'success', 'failed', "
            "'cancelled', 'error')",
            name=op.f("ck_payments_state"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_minor")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_payments_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["channel"], ["channels.code"], name=op.f("fk_payments_channel_channels")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_payments_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["service_code"], ["services.code"], name=op.f("fk_payments_service_code_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_payments_provider_reference")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_reference")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_citizen_created", ["citizen_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_payments_created", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_payments_department_created", ["department_code", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_payments_open_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where="NOT finished",
            sqlite_where=sa.text("NOT finished"),
        )
        batch_op.create_index(
            "ix_payments_service_created", ["service_code", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_payments_service_reference", ["service_reference"], unique=False)

    op.create_table(
        "payment_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("detail", JSON_DOCUMENT, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_events_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
    )
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.create_index("ix_payment_events_payment", ["payment_id", "id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('submitted', 'success', 'error')", name=op.f("ck_refunds_state")
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount_minor")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("provider_reference", name=op.f("uq_refunds_provider_reference")),
        sa.UniqueConstraint("reference", name=op.f("uq_refunds_reference")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_payment", ["payment_id", "created_at"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("service_code", sa.String(length=40), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'payment' AND refund_id IS NULL AND amount_minor > 0) OR "
            "(kind = 'refund' AND refund_id IS NOT NULL AND amount_minor < 0)",
            name=op.f("ck_journal_entries_sign"),
        ),
        sa.CheckConstraint("kind IN ('payment', 'refund')", name=op.f("ck_journal_entries_kind")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_journal_entries_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_journal_entries_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_journal_entries_day", ["business_date", "service_code", "channel"], unique=False
        )
        batch_op.create_index(
            "uq_journal_entries_payment",
            ["payment_id"],
            unique=True,
            postgresql_where="kind = 'payment'",
            sqlite_where=sa.text("kind = 'payment'"),
        )
        batch_op.create_index(
            "uq_journal_entries_refund",
            ["refund_id"],
            unique=True,
            postgresql_where="kind = 'refund'",
            sqlite_where=sa.text("kind = 'refund'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_journal_entries_refund",
            postgresql_where="kind = 'refund'",
            sqlite_where=sa.text("kind = 'refund'"),
        )
        batch_op.drop_index(
            "uq_journal_entries_payment",
            postgresql_where="kind = 'payment'",
            sqlite_where=sa.text("kind = 'payment'"),
        )
        batch_op.drop_index("ix_journal_entries_day")

    op.drop_table("journal_entries")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_payment")

    op.drop_table("refunds")
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_events_payment")

    op.drop_table("payment_events")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_service_reference")
        batch_op.drop_index("ix_payments_service_created")
        batch_op.drop_index(
            "ix_payments_open_expiry",
            postgresql_where="NOT finished",
            sqlite_where=sa.text("NOT finished"),
        )
        batch_op.drop_index("ix_payments_department_created")
        batch_op.drop_index("ix_payments_created")
        batch_op.drop_index("ix_payments_citizen_created")

    op.drop_table("payments")
