"""One citizen's contact history from the index alone.

The 360 view asks for a citizen's latest contacts (ordered by started_at, id) and counts them per
channel and department. An index on (citizen_id, started_at, id) that also carries channel_code
and department_id answers both without visiting the table; it replaces the narrower
(citizen_id, started_at) index, whose every use it covers.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_citizen_history",
            ["citizen_id", "started_at", "id"],
            unique=False,
            postgresql_include=["channel_code", "department_id"],
        )
        batch_op.drop_index("ix_interactions_citizen_started")


def downgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interactions_citizen_started", ["citizen_id", "started_at"], unique=False
        )
        batch_op.drop_index("ix_interactions_citizen_history")
