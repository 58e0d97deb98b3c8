"""Reading the notifications providers sent us: what a finance team checks, flagged ones first.

A department sees the notifications about its own payments; a principal holding
``cross_department`` or ``admin`` sees them all, including those about no payment of ours
(unknown references, refusals). Nothing here is personal data: references, states and times.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_

from cgcrm.citizens import sharing
from cgcrm.core.principal import Actor
from cgcrm.core.scopes import ADMIN
from cgcrm.extensions import db
from cgcrm.payments.models import Payment
from cgcrm.payments.notification_models import PaymentNotification


def list_notifications(
    actor: Actor,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    flagged: bool | None = None,
    outcome: str | None = None,
    payment_id: uuid.UUID | None = None,
) -> list[PaymentNotification]:
    """A page of the notifications the caller may see, newest first.

    :param after: the (received_at, id) of the last one of the previous page.
    :param flagged: only those flagged for a person (True) or not (False).
    """
    query = select(PaymentNotification).order_by(
        PaymentNotification.received_at.desc(), PaymentNotification.id.desc()
    )
    if not (sharing.sees_every_department(actor) or actor.principal.has_scope(ADMIN)):
        own = select(Payment.id).where(Payment.department_code == actor.principal.department_code)
        query = query.where(PaymentNotification.payment_id.in_(own.scalar_subquery()))
    if after is not None:
        query = query.where(tuple_(PaymentNotification.received_at, PaymentNotification.id) < after)
    if flagged is not None:
        query = query.where(PaymentNotification.flagged.is_(flagged))
    if outcome is not None:
        query = query.where(PaymentNotification.outcome == outcome)
    if payment_id is not None:
        query = query.where(PaymentNotification.payment_id == payment_id)
    try:
        found = list(db.session.scalars(query.limit(limit)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return found
