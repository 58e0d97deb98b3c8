"""Cases: service requests with workflow, SLA clock, transitions and notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Also turns ``interactions.case_id`` into a foreign key to the new ``cases`` table (SQLite
rebuilds the table for that: batch mode).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_STATUSES = "status IN ('new', 'in_progress', 'awaiting_citizen')"


def upgrade():
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=11), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assigned_team", sa.String(length=60), nullable=True),
        sa.Column("assigned_user_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_paused_seconds", sa.Integer(), nullable=False),
        sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'in_progress', 'awaiting_citizen', 'resolved', 'closed')",
            name=op.f("ck_cases_status"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name=op.f("ck_cases_priority")
        ),
        sa.CheckConstraint("sla_paused_seconds >= 0", name=op.f("ck_cases_sla_paused_seconds")),
        sa.ForeignKeyConstraint(
            ["assigned_user_id"],
            ["staff_users.id"],
            name=op.f("fk_cases_assigned_user_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_cases_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_cases_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_cases_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_citizen_id", ["citizen_id"], unique=False)
        batch_op.create_index("ix_cases_department_id", ["department_id", "id"], unique=False)
        batch_op.create_index("ix_cases_assigned_user_id", ["assigned_user_id"], unique=False)
        batch_op.create_index(
            "ix_cases_unflagged_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(f"sla_breached_at IS NULL AND {OPEN_STATUSES}"),
            sqlite_where=sa.text(f"sla_breached_at IS NULL AND {OPEN_STATUSES}"),
        )

    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_transitions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transitions")),
    )
    with op.batch_alter_table("case_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_case_transitions_case_id", ["case_id", "id"], unique=False)

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("author_department_code", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_notes_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes", schema=None) as batch_op:
        batch_op.create_index("ix_case_notes_case_id", ["case_id", "id"], unique=False)

    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_interactions_case_id_cases"), "cases", ["case_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_interactions_case_id_cases"), type_="foreignkey")
    op.drop_table("case_notes")
    op.drop_table("case_transitions")
    op.drop_table("cases")
