"""What payments answer for identity assurance's knowledge questions (installed by
``create_app`` through ``cgcrm.assurance.answer_sources``; assurance never imports payments).

"The amount of your last payment" is the amount of the citizen's most recent successful payment:
state ``success`` (a failed, cancelled or still open payment is not one the citizen made), most
recent by when it finished (when it was created, for one without a finish time). Every
department's payments count: the check answers right or wrong, never the amount, and the
citizen's last payment is the last one they made, whoever took it. Refunds do not change it: the
citizen still paid that amount.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.models import Payment
from cgcrm.payments.money import major_amount


def last_payment_amount(citizen_id: uuid.UUID) -> Decimal | None:
    """The amount of ``citizen_id``'s most recent successful payment, in its currency's major
    unit; None when they have none. Reads in the caller's transaction, unaudited (the value is
    compared, never shown)."""
    found = db.session.execute(
        select(Payment.amount_minor, Payment.currency)
        .where(Payment.citizen_id == citizen_id, Payment.state == states.SUCCESS)
        .order_by(
            func.coalesce(Payment.finished_at, Payment.created_at).desc(),
            Payment.created_at.desc(),
            Payment.id.desc(),
        )
        .limit(1)
    ).first()
    return None if found is None else major_amount(found.amount_minor, found.currency)
