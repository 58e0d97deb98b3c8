"""Cases: service requests with workflow, SLA clock, transitions and notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
