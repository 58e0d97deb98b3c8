"""Satisfaction surveys (issue 10): invitations, responses, and each service's sampling rate.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "survey_sampling_rate", sa.Float(), nullable=False, server_default=sa.text("0.2")
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_services_survey_sampling_rate"),
            "survey_sampling_rate >= 0 AND survey_sampling_rate <= 1",
        )
    op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_survey_invitations_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_survey_invitations_interaction_id_interactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_survey_invitations_interaction_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_invitations_token_hash")),
    )
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_invitations_citizen_sent", ["citizen_id", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_survey_invitations_open_expiry",
            ["expires_at"],
            unique=False,
            postgresql_where=sa.text("answered_at IS NULL AND expired_at IS NULL"),
            sqlite_where=sa.text("answered_at IS NULL AND expired_at IS NULL"),
        )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("csat", sa.SmallInteger(), nullable=False),
        sa.Column("nps", sa.SmallInteger(), nullable=True),
        sa.Column("effort", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.CheckConstraint("csat BETWEEN 1 AND 5", name=op.f("ck_survey_responses_csat")),
        sa.CheckConstraint(
            "effort IS NULL OR effort BETWEEN 1 AND 7", name=op.f("ck_survey_responses_effort")
        ),
        sa.CheckConstraint(
            "nps IS NULL OR nps BETWEEN 0 AND 10", name=op.f("ck_survey_responses_nps")
        ),
        sa.CheckConstraint(
            "source IN ('citizen', 'staff')", name=op.f("ck_survey_responses_source")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_survey_responses_interaction_id_interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_survey_responses_invitation_id_survey_invitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_survey_responses_interaction_id")),
    )


def downgrade():
    op.drop_table("survey_responses")
    with op.batch_alter_table("survey_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_invitations_open_expiry")
        batch_op.drop_index("ix_survey_invitations_citizen_sent")
    op.drop_table("survey_invitations")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_services_survey_sampling_rate"), type_="check")
        batch_op.drop_column("survey_sampling_rate")
