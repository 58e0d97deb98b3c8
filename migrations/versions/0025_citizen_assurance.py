"""Citizen identity assurance: recorded evidence and one-time codes to contact points.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_verifications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("citizen_id", sa.Uuid(), sa.ForeignKey("citizens.id"), nullable=False),
        sa.Column("method", sa.String(30), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("strength", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("service_code", sa.String(40), nullable=True),
        sa.Column("verified_by", sa.String(80), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
    )
    op.create_index(
        "ix_citizen_verifications_citizen", "citizen_verifications", ["citizen_id", "verified_at"]
    )
    op.create_table(
        "citizen_verification_codes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("citizen_id", sa.Uuid(), sa.ForeignKey("citizens.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("contact_hash", sa.String(64), nullable=False),
        sa.Column("sent_to", sa.String(80), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_citizen_verification_codes_citizen_id", "citizen_verification_codes", ["citizen_id"]
    )


def downgrade() -> None:
    op.drop_table("citizen_verification_codes")
    op.drop_table("citizen_verifications")
