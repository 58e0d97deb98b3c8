"""The sandbox gateway's own tables, and the log of notifications providers send us (issue 12).

``sandbox_*`` are the simulated gateway's books (charges, refunds, notifications it owes us),
keyed by its own references, with no link to ``payments``. ``payment_notifications`` is ours:
every notification that reached our endpoint, accepted or refused.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CHARGE_STATES = (
    "created",
    "started",
    "submitted",
    "authorised",
    "capture_requested",
    "captured",
    "declined",
    "error",
    "cancelled",
    "expired",
)
REFUND_STATES = ("submitted", "success", "error")
OUTCOMES = (
    "applied",
    "out_of_date",
    "late",
    "unknown",
    "refused_signature",
    "refused_stale",
    "refused_replay",
    "refused_malformed",
)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _moment(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "sandbox_charges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_reference", sa.String(length=40), nullable=False),
        sa.Column("merchant_reference", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("failure_code", sa.String(length=5), nullable=True),
        sa.Column("moto", sa.Boolean(), nullable=False),
        sa.Column("delayed_capture", sa.Boolean(), nullable=False),
        sa.Column("page_token_hash", sa.String(length=64), nullable=True),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("planned_outcome", sa.String(length=10), nullable=True),
        sa.Column("card_brand", sa.String(length=20), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("card_expiry", sa.String(length=5), nullable=True),
        sa.Column("notifications_issued", sa.Integer(), nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        _moment("submitted_at", True),
        _moment("authorised_at", True),
        _moment("captured_at", True),
        _moment("finished_at", True),
        sa.CheckConstraint(_in("state", CHARGE_STATES), name=op.f("ck_sandbox_charges_state")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_sandbox_charges_amount_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_charges")),
        sa.UniqueConstraint(
            "merchant_reference", name=op.f("uq_sandbox_charges_merchant_reference")
        ),
        sa.UniqueConstraint("page_token_hash", name=op.f("uq_sandbox_charges_page_token_hash")),
        sa.UniqueConstraint(
            "provider_reference", name=op.f("uq_sandbox_charges_provider_reference")
        ),
    )
    with op.batch_alter_table("sandbox_charges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sandbox_charges_captured_at",
            ["captured_at"],
            unique=False,
            postgresql_where=sa.text("captured_at IS NOT NULL"),
            sqlite_where=sa.text("captured_at IS NOT NULL"),
        )
    op.create_table(
        "sandbox_refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_reference", sa.String(length=40), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("merchant_reference", sa.String(length=60), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        _moment("created_at"),
        _moment("settled_at", True),
        sa.CheckConstraint(_in("state", REFUND_STATES), name=op.f("ck_sandbox_refunds_state")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_sandbox_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["sandbox_charges.id"],
            name=op.f("fk_sandbox_refunds_charge_id_sandbox_charges"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_refunds")),
        sa.UniqueConstraint(
            "merchant_reference", name=op.f("uq_sandbox_refunds_merchant_reference")
        ),
        sa.UniqueConstraint(
            "provider_reference", name=op.f("uq_sandbox_refunds_provider_reference")
        ),
    )
    with op.batch_alter_table("sandbox_refunds", schema=None) as batch_op:
        batch_op.create_index("ix_sandbox_refunds_charge_id", ["charge_id"], unique=False)
        batch_op.create_index(
            "ix_sandbox_refunds_settled_at",
            ["settled_at"],
            unique=False,
            postgresql_where=sa.text("settled_at IS NOT NULL"),
            sqlite_where=sa.text("settled_at IS NOT NULL"),
        )
    op.create_table(
        "sandbox_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        _moment("created_at"),
        _moment("next_attempt_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("delivered_at", True),
        _moment("abandoned_at", True),
        sa.Column("last_status", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["charge_id"],
            ["sandbox_charges.id"],
            name=op.f("fk_sandbox_notifications_charge_id_sandbox_charges"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["sandbox_refunds.id"],
            name=op.f("fk_sandbox_notifications_refund_id_sandbox_refunds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sandbox_notifications")),
    )
    with op.batch_alter_table("sandbox_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_sandbox_notifications_charge_id", ["charge_id"], unique=False)
        batch_op.create_index(
            "ix_sandbox_notifications_pending",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("delivered_at IS NULL AND abandoned_at IS NULL"),
            sqlite_where=sa.text("delivered_at IS NULL AND abandoned_at IS NULL"),
        )
    op.create_table(
        "payment_notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.String(length=80), nullable=True),
        _moment("received_at"),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=True),
        sa.Column("provider_reference", sa.String(length=80), nullable=True),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=True),
        sa.Column("code", sa.String(length=5), nullable=True),
        _moment("occurred_at", True),
        _moment("signed_at", True),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name=op.f("ck_payment_notifications_outcome")),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_notifications_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_notifications")),
    )
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.create_index(
            "uq_payment_notifications_accepted_id",
            ["provider", "notification_id"],
            unique=True,
            postgresql_where=sa.text("accepted"),
            sqlite_where=sa.text("accepted"),
        )
        batch_op.create_index("ix_payment_notifications_payment_id", ["payment_id"], unique=False)
        batch_op.create_index(
            "ix_payment_notifications_flagged",
            ["received_at"],
            unique=False,
            postgresql_where=sa.text("flagged"),
            sqlite_where=sa.text("flagged"),
        )


def downgrade():
    with op.batch_alter_table("payment_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_notifications_flagged")
        batch_op.drop_index("ix_payment_notifications_payment_id")
        batch_op.drop_index("uq_payment_notifications_accepted_id")
    op.drop_table("payment_notifications")
    with op.batch_alter_table("sandbox_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_notifications_pending")
        batch_op.drop_index("ix_sandbox_notifications_charge_id")
    op.drop_table("sandbox_notifications")
    with op.batch_alter_table("sandbox_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_refunds_settled_at")
        batch_op.drop_index("ix_sandbox_refunds_charge_id")
    op.drop_table("sandbox_refunds")
    with op.batch_alter_table("sandbox_charges", schema=None) as batch_op:
        batch_op.drop_index("ix_sandbox_charges_captured_at")
    op.drop_table("sandbox_charges")
