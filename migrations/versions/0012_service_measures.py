"""Measures of the service standard (issue 10): transaction references, the customer measures
in the daily rollups, and case resolutions per day.

- ``interactions.transaction_ref``: the client's reference of one transaction of one service;
  a partial index finds a transaction's contacts.
- ``interaction_daily_rollups`` gains the counters behind first-contact resolution, avoidable
  contact, satisfaction (CSAT 1 to 5, NPS, effort) and the survey response rate.
- ``case_daily_rollups``: cases resolved per day, department and service, and how many within
  their SLA; ``case_resolutions`` records which bucket each resolved case is counted in, so a
  reopened case leaves it again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NEW_COUNTERS = (
    "inbound_identified",
    "avoidable",
    "fcr_eligible",
    "fcr_repeated",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "effort_responses",
    "effort_total",
    "invitations_sent",
    "invited_responses",
)


def upgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transaction_ref", sa.String(length=100), nullable=True))
        batch_op.create_index(
            "ix_interactions_transaction",
            ["service_id", "transaction_ref"],
            unique=False,
            postgresql_where=sa.text("transaction_ref IS NOT NULL"),
            sqlite_where=sa.text("transaction_ref IS NOT NULL"),
        )
    with op.batch_alter_table("interaction_daily_rollups", schema=None) as batch_op:
        for name in NEW_COUNTERS:
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0"))
            )

    op.create_table(
        "case_daily_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("resolved_within_sla", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_case_daily_rollups_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_case_daily_rollups_service_id_services")
        ),
        sa.PrimaryKeyConstraint(
            "day", "department_id", "service_id", name=op.f("pk_case_daily_rollups")
        ),
    )
    op.create_table(
        "case_resolutions",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("within_sla", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_resolutions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_resolutions")),
    )
    with op.batch_alter_table("case_resolutions", schema=None) as batch_op:
        batch_op.create_index("ix_case_resolutions_day", ["day"], unique=False)


def downgrade():
    with op.batch_alter_table("case_resolutions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_resolutions_day")
    op.drop_table("case_resolutions")
    op.drop_table("case_daily_rollups")
    with op.batch_alter_table("interaction_daily_rollups", schema=None) as batch_op:
        for name in reversed(NEW_COUNTERS):
            batch_op.drop_column(name)
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_interactions_transaction")
        batch_op.drop_column("transaction_ref")
