"""Outbox events found by their aggregate: whether a row's event is still pending.

The metrics rollups count a contact once its ``interaction.recorded`` event is processed; each
batch asks that of the contacts near its own (same transaction, same citizen within 14 days),
which without this index is a scan of the outbox per batch.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_events_aggregate", ["aggregate_id"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_aggregate")
