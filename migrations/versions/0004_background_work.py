"""Background work: which handler processed which outbox event; daily interaction rollups.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(length=120), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_processed_events")),
    )
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processed_events_processed_at"), ["processed_at"], unique=False
        )

    op.create_table(
        "interaction_daily_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("channel_code", sa.String(length=20), nullable=False),
        sa.Column("service_key", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("transactions_started", sa.Integer(), nullable=False),
        sa.Column("transactions_completed", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column(
            "handling_seconds",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_code"],
            ["channels.code"],
            name=op.f("fk_interaction_daily_rollups_channel_code_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_interaction_daily_rollups_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_interaction_daily_rollups_service_id_services"),
        ),
        sa.PrimaryKeyConstraint(
            "day",
            "department_id",
            "channel_code",
            "service_key",
            name=op.f("pk_interaction_daily_rollups"),
        ),
    )


def downgrade():
    op.drop_table("interaction_daily_rollups")
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_processed_at"))
    op.drop_table("processed_events")
