"""The sandbox gateway itself: what it does to its charges and refunds, and what it tells us.

It keeps its own books (``models``) and knows our payments only by the references we gave it.
What it decides on its own time (authorisation, capture, refunds) it tells us in signed
notifications (``delivery``); the work runs in RQ jobs (``jobs``), asked for by an outbox event
written in the same transaction as the request that needs it (``sandbox.work_requested``).

Every change takes the charge's row lock first, so a double submit, a retried job or two
workers never act on one charge at once; a job finding the charge already past its step does
nothing (that is what makes retries harmless and a charge impossible to take twice).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.payments.providers.sandbox.cards import CheckedCard, Outcome
from cgcrm.payments.providers.sandbox.models import (
    OPEN_CHARGE_STATES,
    SandboxCharge,
    SandboxNotification,
    SandboxRefund,
)

PROVIDER = "sandbox"
# A card page link lives as long as the payment may (GOV.UK Pay: 90 minutes).
CHARGE_TTL = timedelta(minutes=90)
WORK_EVENT = "sandbox.work_requested"
WORK = ("authorise", "capture", "refund")
# Gateway state → (our payment state, failure code) in its notifications.
NOTIFIED_STATES: dict[str, tuple[str, str | None]] = {
    "authorised": ("capturable", None),
    "captured": ("success", None),
    "declined": ("failed", "P0010"),
    "error": ("error", "P0050"),
}


def new_reference(kind: str) -> str:
    """A gateway reference: ``sbx_<kind>_`` and 24 random base32 characters."""
    random = base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()
    return f"sbx_{kind}_{random}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _request_work(work: str, aggregate: uuid.UUID) -> None:
    add_event(WORK_EVENT, "sandbox_charge", aggregate, {"work": work, "id": str(aggregate)})


def expired(charge: SandboxCharge, now: datetime | None = None) -> bool:
    """Whether a charge no card was submitted for is past its life."""
    return (now or utcnow()) >= charge.created_at + CHARGE_TTL


# --- charges opened and worked on by the merchant (through the adapter) ---


def open_charge(
    *,
    merchant_reference: str,
    amount_minor: int,
    currency: str,
    description: str,
    moto: bool,
    delayed_capture: bool,
    return_url: str | None,
) -> tuple[SandboxCharge, str | None]:
    """Open a charge for one payment, or find the one already opened for it.

    :returns: the charge and the card page's link token (None for MOTO, which has no page;
        a new token for a charge found again while its page is still open).
    :raises Conflict: the charge found for that payment is of another amount or currency.
    """
    now = utcnow()
    table = SandboxCharge.__table__
    db.session.execute(
        insert_ignoring_conflicts(table).values(
            id=new_id(),
            provider_reference=new_reference("ch"),
            merchant_reference=merchant_reference,
            amount_minor=amount_minor,
            currency=currency,
            description=description[:255],
            state="created",
            moto=moto,
            delayed_capture=delayed_capture,
            return_url=return_url,
            notifications_issued=0,
            created_at=now,
            updated_at=now,
        )
    )
    charge = db.session.scalars(
        select(SandboxCharge)
        .where(SandboxCharge.merchant_reference == merchant_reference)
        .with_for_update()
    ).one()
    if (charge.amount_minor, charge.currency) != (amount_minor, currency):
        raise Conflict(
            f"the gateway already has a charge of {charge.amount_minor} {charge.currency} for "
            f"{merchant_reference}"
        )
    token = None
    if not charge.moto and charge.state in OPEN_CHARGE_STATES:
        token = secrets.token_urlsafe(32)
        charge.page_token_hash = token_hash(token)
    return charge, token


def charge_by_reference(provider_reference: str, *, lock: bool = False) -> SandboxCharge:
    """:raises NotFound: the gateway has no such charge."""
    query = select(SandboxCharge).where(SandboxCharge.provider_reference == provider_reference)
    charge = db.session.scalars(query.with_for_update() if lock else query).one_or_none()
    if charge is None:
        raise NotFound("the gateway has no such charge")
    return charge


def charge_by_token(token: str, *, lock: bool = False) -> SandboxCharge | None:
    """The charge a card page link names, or None."""
    if not token or len(token) > 100:
        return None
    query = select(SandboxCharge).where(SandboxCharge.page_token_hash == token_hash(token))
    return db.session.scalars(query.with_for_update() if lock else query).one_or_none()


def _touch(charge: SandboxCharge, state: str, now: datetime) -> None:
    charge.state = state
    charge.updated_at = now


def page_opened(charge: SandboxCharge) -> bool:
    """The card page was shown: created → started. Whether it changed."""
    if charge.state != "created":
        return False
    _touch(charge, "started", utcnow())
    return True


def submit_card(charge: SandboxCharge, card: CheckedCard) -> None:
    """Card details entered (page or MOTO): the charge awaits authorisation, asked for now.

    :raises Conflict: the charge is not open for card details.
    """
    now = utcnow()
    if charge.state not in OPEN_CHARGE_STATES or expired(charge, now):
        raise Conflict("this payment can no longer take card details")
    charge.card_brand = card.brand
    charge.card_last4 = card.last4
    charge.card_expiry = card.expiry
    charge.planned_outcome = card.outcome.value
    charge.submitted_at = now
    _touch(charge, "submitted", now)
    _request_work("authorise", charge.id)


def cancel_by_user(charge: SandboxCharge) -> None:
    """The payer left the card page with "Cancel payment".

    :raises Conflict: the charge is past the page.
    """
    if charge.state not in OPEN_CHARGE_STATES:
        raise Conflict("this payment can no longer be cancelled here")
    now = utcnow()
    charge.failure_code = "P0030"
    charge.finished_at = now
    _touch(charge, "cancelled", now)


def request_capture(charge: SandboxCharge) -> None:
    """The merchant captures an authorised charge; the capture happens in a job.

    Asking again while it is under way, or once done, changes nothing.

    :raises Conflict: the charge was never authorised, or ended otherwise.
    """
    if charge.state in {"capture_requested", "captured"}:
        return
    if charge.state != "authorised":
        raise Conflict(f"the gateway cannot capture a charge that is {charge.state}")
    _touch(charge, "capture_requested", utcnow())
    _request_work("capture", charge.id)


def cancel_charge(charge: SandboxCharge) -> None:
    """The merchant cancels a charge not yet submitted, or releases an authorisation.

    :raises Conflict: the charge is being authorised, or has ended otherwise.
    """
    if charge.state == "cancelled":
        return
    if charge.state not in {*OPEN_CHARGE_STATES, "authorised"}:
        raise Conflict(f"the gateway cannot cancel a charge that is {charge.state}")
    now = utcnow()
    charge.failure_code = "P0040"
    charge.finished_at = now
    _touch(charge, "cancelled", now)


def _committed_refunds(charge: SandboxCharge, excluding: uuid.UUID | None = None) -> int:
    query = select(func.coalesce(func.sum(SandboxRefund.amount_minor), 0)).where(
        SandboxRefund.charge_id == charge.id, SandboxRefund.state != "error"
    )
    if excluding is not None:
        query = query.where(SandboxRefund.id != excluding)
    return int(db.session.scalar(query) or 0)


def open_refund(charge: SandboxCharge, merchant_reference: str, amount_minor: int) -> SandboxRefund:
    """Accept a refund request; it is paid (or fails) later, in a job. Idempotent on
    ``merchant_reference``.

    :raises Conflict: the charge was never captured.
    """
    existing = db.session.scalars(
        select(SandboxRefund).where(SandboxRefund.merchant_reference == merchant_reference)
    ).one_or_none()
    if existing is not None:
        return existing
    if charge.state != "captured":
        raise Conflict(f"the gateway cannot refund a charge that is {charge.state}")
    refund = SandboxRefund(
        provider_reference=new_reference("rf"),
        charge_id=charge.id,
        merchant_reference=merchant_reference,
        amount_minor=amount_minor,
        currency=charge.currency,
        state="submitted",
        created_at=utcnow(),
    )
    db.session.add(refund)
    db.session.flush()
    _request_work("refund", refund.id)
    return refund


# --- the gateway's own time: the jobs' steps (each in one transaction, committed by the job) ---


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _issue(
    charge: SandboxCharge, resource: dict[str, Any], kind: str, refund: SandboxRefund | None = None
) -> None:
    charge.notifications_issued += 1
    now = utcnow()
    notification_id = uuid.uuid4()
    body = {
        "id": str(notification_id),
        "provider": PROVIDER,
        "type": f"{kind}.updated",
        "sequence": charge.notifications_issued,
        "created_at": now.isoformat(),
        "resource": resource,
    }
    db.session.add(
        SandboxNotification(
            id=notification_id,
            charge_id=charge.id,
            refund_id=refund.id if refund else None,
            body=json.dumps(body, separators=(",", ":"), sort_keys=True),
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
    )


def notify_charge(charge: SandboxCharge, occurred_at: datetime) -> None:
    """Issue the notification of the charge's state now."""
    state, code = NOTIFIED_STATES[charge.state]
    card = None
    if charge.card_last4:
        card = {
            "brand": charge.card_brand,
            "last4": charge.card_last4,
            "expiry": charge.card_expiry,
        }
    _issue(
        charge,
        {
            "type": "payment",
            "provider_reference": charge.provider_reference,
            "merchant_reference": charge.merchant_reference,
            "state": state,
            "code": code,
            "amount": charge.amount_minor,
            "currency": charge.currency,
            "moto": charge.moto,
            "card": card,
            "occurred_at": _iso(occurred_at),
        },
        "payment",
    )


def authorise(charge_id: uuid.UUID) -> str | None:
    """Authorise a submitted charge as its test card says; the state it reached, or None
    when there was nothing to do (already done, or the acquirer never answers)."""
    charge = db.session.get(SandboxCharge, charge_id, with_for_update=True)
    if charge is None or charge.state != "submitted":
        return None
    outcome = Outcome(charge.planned_outcome or Outcome.DECLINE.value)
    if outcome is Outcome.SILENT:
        return None
    now = utcnow()
    if outcome in (Outcome.APPROVE, Outcome.NO_REFUND):
        charge.authorised_at = now
        if charge.delayed_capture:
            _touch(charge, "authorised", now)
        else:
            charge.captured_at = now
            charge.finished_at = now
            _touch(charge, "captured", now)
    else:
        charge.failure_code = "P0010" if outcome is Outcome.DECLINE else "P0050"
        charge.finished_at = now
        _touch(charge, "declined" if outcome is Outcome.DECLINE else "error", now)
    notify_charge(charge, now)
    return charge.state


def capture(charge_id: uuid.UUID) -> str | None:
    """Capture a charge whose capture was asked for; its state, or None if nothing to do."""
    charge = db.session.get(SandboxCharge, charge_id, with_for_update=True)
    if charge is None or charge.state != "capture_requested":
        return None
    now = utcnow()
    charge.captured_at = now
    charge.finished_at = now
    _touch(charge, "captured", now)
    notify_charge(charge, now)
    return charge.state


def settle_refund(refund_id: uuid.UUID) -> str | None:
    """Pay a submitted refund, or fail it when it exceeds what is left of the charge."""
    refund = db.session.get(SandboxRefund, refund_id)
    if refund is None:
        return None
    # The charge's lock first (as every change does), then the refund's state, read again.
    charge = db.session.get(SandboxCharge, refund.charge_id, with_for_update=True)
    db.session.refresh(refund, with_for_update=True)
    if charge is None or refund.state != "submitted":
        return None
    now = utcnow()
    available = charge.amount_minor - _committed_refunds(charge, excluding=refund.id)
    refusing = charge.planned_outcome == Outcome.NO_REFUND.value
    refund.state = "success" if refund.amount_minor <= available and not refusing else "error"
    refund.settled_at = now
    _issue(
        charge,
        {
            "type": "refund",
            "provider_reference": refund.provider_reference,
            "payment_provider_reference": charge.provider_reference,
            "merchant_reference": refund.merchant_reference,
            "state": refund.state,
            "amount": refund.amount_minor,
            "currency": refund.currency,
            "occurred_at": _iso(now),
        },
        "refund",
        refund,
    )
    return refund.state
