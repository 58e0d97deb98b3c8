"""Events a handler could not process, parked instead of retried forever.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "parked_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handler", sa.String(length=120), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_parked_events")),
    )
    with op.batch_alter_table("parked_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parked_events_parked_at"), ["parked_at"], unique=False)


def downgrade():
    with op.batch_alter_table("parked_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parked_events_parked_at"))
    op.drop_table("parked_events")
