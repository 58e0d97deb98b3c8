"""How many times the relay has published each outbox event.

Lets the redelivery sweep send again an event whose job was lost (a Redis restart without
persistence, a worker killed between taking a job and registering it) a bounded number of times.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deliveries", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_column("deliveries")
