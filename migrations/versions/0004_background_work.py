"""Background work: which handler processed which outbox event.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
