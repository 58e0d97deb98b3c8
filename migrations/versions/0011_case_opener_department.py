"""The department that opened a case keeps read access to it (issue 9, finding 10).

Adds ``cases.opened_by_department_id`` and fills it for existing cases from the department
recorded on their opening transition (the one from no status).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The opening transition (from no status) names the opener's department by code.
BACKFILL = """
UPDATE cases SET opened_by_department_id = (
    SELECT departments.id
    FROM case_transitions
    JOIN departments ON departments.code = case_transitions.department_code
    WHERE case_transitions.case_id = cases.id
      AND case_transitions.from_status IS NULL
)
"""


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_by_department_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_cases_opened_by_department_id_departments"),
            "departments",
            ["opened_by_department_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_cases_opened_by_department_id", ["opened_by_department_id", "id"], unique=False
        )
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_opened_by_department_id")
        batch_op.drop_constraint(
            op.f("fk_cases_opened_by_department_id_departments"), type_="foreignkey"
        )
        batch_op.drop_column("opened_by_department_id")
