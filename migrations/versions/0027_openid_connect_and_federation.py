"""OpenID Connect: how a code's user authenticated (auth_time, acr, amr) for its ID token, a
nonce index for replay checks; federated sign-ins under way and external identities' links.

Revision ID: 0027
Revises: 0025
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oauth_authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_time", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acr", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("amr", sa.Text(), nullable=True))
    op.create_index(
        "ix_oauth_authorization_codes_client_nonce",
        "oauth_authorization_codes",
        ["client_id", "nonce"],
    )
    op.create_table(
        "federated_sign_ins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("authorize_query", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_federated_sign_ins")),
    )
    op.create_index(op.f("ix_federated_sign_ins_expires_at"), "federated_sign_ins", ["expires_at"])
    op.create_table(
        "federated_identities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_acr", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_federated_identities_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_federated_identities")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_federated_identities_provider")),
    )
    op.create_index(op.f("ix_federated_identities_user_id"), "federated_identities", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_federated_identities_user_id"), table_name="federated_identities")
    op.drop_table("federated_identities")
    op.drop_index(op.f("ix_federated_sign_ins_expires_at"), table_name="federated_sign_ins")
    op.drop_table("federated_sign_ins")
    op.drop_index(
        "ix_oauth_authorization_codes_client_nonce", table_name="oauth_authorization_codes"
    )
    with op.batch_alter_table("oauth_authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("amr")
        batch_op.drop_column("acr")
        batch_op.drop_column("auth_time")
