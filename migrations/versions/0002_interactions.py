"""Interactions (the touchpoint log) and the citizen's whole-of-government sharing flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "shares_across_government",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
    # Existing records: the latest whole_of_government_sharing decision wins.
    op.execute(
        """
        UPDATE citizens SET shares_across_government = (
            SELECT c.granted FROM consents c
            WHERE c.citizen_id = citizens.id AND c.purpose = 'whole_of_government_sharing'
            ORDER BY c.recorded_at DESC LIMIT 1
        )
        WHERE EXISTS (
            SELECT 1 FROM consents c
            WHERE c.citizen_id = citizens.id AND c.purpose = 'whole_of_government_sharing'
        )
        """
    )
    op.create_table(
        "interactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("channel_code", sa.String(length=20), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("transaction_stage", sa.String(length=10), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name=op.f("ck_interactions_direction")
        ),
        sa.CheckConstraint(
            "outcome IN ('completed', 'resolved', 'referred', 'abandoned', 'follow_up')",
            name=op.f("ck_interactions_outcome"),
        ),
        sa.CheckConstraint(
            "transaction_stage IS NULL OR transaction_stage IN ('started', 'completed')",
            name=op.f("ck_interactions_transaction_stage"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_interactions_ended_after_started"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_code"], ["channels.code"], name=op.f("fk_interactions_channel_code_channels")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_interactions_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_interactions_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_interactions_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_citizen_started", ["citizen_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_interactions_department_started", ["department_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_interactions_service_started", ["service_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_interactions_case_id",
            ["case_id"],
            unique=False,
            postgresql_where=sa.text("case_id IS NOT NULL"),
            sqlite_where=sa.text("case_id IS NOT NULL"),
        )


def downgrade():
    op.drop_table("interactions")
    with op.batch_alter_table("citizens", schema=None) as batch_op:
        batch_op.drop_column("shares_across_government")
