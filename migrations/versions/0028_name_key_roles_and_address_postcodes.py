"""Name keys' roles (given, family) and addresses' postcode keys in the index by citizen.

The real-time match probes a (family, given) pair only in the orders its keys have been used
in; its postcode bonus reads a candidate's postcode keys without the address rows.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A key written without its roles (by code that does not know them) counts as both: the
    # match then probes it both ways, as it did before.
    with op.batch_alter_table("name_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("used_as_given", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("used_as_family", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    # Roles are "ever used so": a key no stored name uses keeps both (it finds nobody anyway).
    given = "EXISTS (SELECT 1 FROM citizen_names n WHERE n.given_key = name_tokens.token)"
    family = "EXISTS (SELECT 1 FROM citizen_names n WHERE n.family_key = name_tokens.token)"
    # Correlated, not UPDATE … FROM with an alias: the same statement runs on SQLite.
    op.execute(
        f"UPDATE name_tokens SET used_as_given = {given}, used_as_family = {family} "
        f"WHERE {given} OR {family}"
    )
    op.drop_index("ix_addresses_citizen_id", table_name="addresses")
    op.create_index(
        "ix_addresses_citizen_id", "addresses", ["citizen_id"], postgresql_include=["postcode_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_addresses_citizen_id", table_name="addresses")
    op.create_index("ix_addresses_citizen_id", "addresses", ["citizen_id"])
    with op.batch_alter_table("name_tokens", schema=None) as batch_op:
        batch_op.drop_column("used_as_family")
        batch_op.drop_column("used_as_given")
