"""Expiry: a payment not finished within PAYMENT_EXPIRY_MINUTES (90) fails with P0020.

Each payment expires in a transaction of its own, its row locked with SKIP LOCKED: one being
moved by a provider's notification at that moment is left for the next run, and the
notification decides. A notification that arrives after expiry finds the payment finished,
and ``apply_provider_update`` refuses it (``TransitionRefused``) for its caller to record and
flag. The provider is not told: its page and its notifications check the payment's state.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.models import Payment
from cgcrm.payments.transitions import finish, move

ACTOR = "system:expiry"


def _expire_one(payment_id: uuid.UUID, moment: datetime) -> bool:
    try:
        payment = db.session.execute(
            select(Payment)
            .where(
                Payment.id == payment_id,
                Payment.finished.is_(False),
                Payment.expires_at <= moment,
            )
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if payment is None:  # finished meanwhile, or being moved right now
            db.session.rollback()
            return False
        move(
            payment,
            states.FAILED,
            actor=ACTOR,
            occurred_at=moment,
            code=states.EXPIRED,
            detail={"expires_at": payment.expires_at.isoformat()},
        )
        finish(payment, actor=ACTOR, succeeded=False)
    except Exception:
        db.session.rollback()
        raise
    return True


def expire_payments(now: datetime | None = None) -> int:
    """Fail every payment past its ``expires_at`` that has not finished (P0020). Idempotent.

    :param now: the moment to expire at; the current time when None.
    :returns: how many payments this run expired (at most PAYMENT_EXPIRY_BATCH).
    """
    moment = now or utcnow()
    batch = int(current_app.config["PAYMENT_EXPIRY_BATCH"])
    due = list(
        db.session.scalars(
            select(Payment.id)
            .where(Payment.finished.is_(False), Payment.expires_at <= moment)
            .order_by(Payment.expires_at)
            .limit(batch)
        )
    )
    db.session.rollback()
    return sum(_expire_one(payment_id, moment) for payment_id in due)
