"""Consent evidence, masked identifiers, identifier-system owners and sent notifications.

- ``consents.interaction_id``: the contact a widening grant was given in.
- ``external_identifiers.value_hint``: the last characters of each identifier in clear, so a
  department that may not read it is shown a masked value without decryption. Existing rows are
  filled in here when the application's cipher is at hand (``flask db upgrade``).
- ``identifier_systems``: which department owns which identifier system (catalog).
- ``notifications``: messages the default notification adapter has sent.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BACKFILL_BATCH = 1000


def _hint(value):
    # The same rule as cgcrm.citizens.disclosure.identifier_hint, frozen at this revision.
    compact = "".join(value.split())
    if len(compact) >= 8:
        return compact[-3:]
    if len(compact) >= 5:
        return compact[-2:]
    return ""


def _backfill_hints():
    try:
        from flask import current_app

        field_cipher = current_app.extensions["cgcrm.cipher"]
    except (RuntimeError, KeyError):
        return  # no application: rows keep an empty hint and are shown fully masked
    connection = op.get_bind()
    table = sa.table(
        "external_identifiers",
        sa.column("id", sa.Uuid()),
        sa.column("value_encrypted", sa.Text()),
        sa.column("value_hint", sa.String()),
    )
    last = None
    while True:
        query = sa.select(table.c.id, table.c.value_encrypted).order_by(table.c.id)
        if last is not None:
            query = query.where(table.c.id > last)
        rows = connection.execute(query.limit(BACKFILL_BATCH)).all()
        if not rows:
            return
        updates = []
        for row_id, encrypted in rows:
            try:
                updates.append({"row_id": row_id, "hint": _hint(field_cipher.decrypt(encrypted))})
            except ValueError:
                continue  # encrypted with a retired key: left fully masked
        if updates:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values(value_hint=sa.bindparam("hint")),
                updates,
            )
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interaction_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("external_identifiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("value_hint", sa.String(length=4), server_default="", nullable=False)
        )
    _backfill_hints()

    op.create_table(
        "identifier_systems",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_identifier_systems_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_identifier_systems")),
    )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("recipient_ref", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("adapter", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("reference", name=op.f("uq_notifications_reference")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_recipient_ref"), ["recipient_ref"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_recipient_ref"))
    op.drop_table("notifications")
    op.drop_table("identifier_systems")
    with op.batch_alter_table("external_identifiers", schema=None) as batch_op:
        batch_op.drop_column("value_hint")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("interaction_id")
