"""Any part of an address may be unknown: line1 and locality become nullable.

Department files often lack the street or the town of an address whose postcode they hold;
refusing such a record (or inventing a part) lost what was known. The API still needs one of
line1, locality and postcode (``cgcrm.citizens.schemas.AddressInSchema``). Dropping NOT NULL
reads no row and takes a brief lock.

Revision ID: 0034
Revises: 0029
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("addresses") as batch:
        batch.alter_column("line1", existing_type=sa.String(200), nullable=True)
        batch.alter_column("locality", existing_type=sa.String(100), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE addresses SET line1 = '' WHERE line1 IS NULL")
    op.execute("UPDATE addresses SET locality = '' WHERE locality IS NULL")
    with op.batch_alter_table("addresses") as batch:
        batch.alter_column("line1", existing_type=sa.String(200), nullable=False)
        batch.alter_column("locality", existing_type=sa.String(100), nullable=False)
