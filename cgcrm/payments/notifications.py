"""Notifications from payment providers: verified, applied forward-only, and never lost.

``receive_notification`` takes the raw body and its ``Pay-Signature`` header and:

1. checks the signature over the raw bytes before reading anything of them (``signatures``):
   forged or unsigned → refused (401), stored as ``refused_signature``, and a security event;
2. checks the signed timestamp against PAYMENT_NOTIFICATION_TOLERANCE: stale → refused (400);
3. reads the body; a signed body we cannot read → refused (400), kept and flagged;
4. takes its notification id, once: a second delivery of an accepted id is a replay → refused
   (409, ``notification-replayed``: the sender may treat it as delivered);
5. applies it through ``apply_provider_update`` / ``apply_refund_update``, which never move a
   payment backwards. An update older than what we know is kept as ``out_of_date``; one about a
   payment that finished in another state (expired before its money was taken, say) is kept as
   ``late`` and flagged; one about a reference we do not know, ``unknown`` and flagged.

The accepted notification's row commits in the same transaction as the payment's move, so a
notification is applied exactly when it is recorded as applied. Every refusal is stored (only
the hash of what was sent) and written as a security event (``cgcrm.security`` log too).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.driver import execute_compiled
from cgcrm.core.errors import DomainError, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.security_events import record_security_event
from cgcrm.core.upsert import insert_ignoring_conflicts_of
from cgcrm.extensions import db
from cgcrm.payments import signatures, states
from cgcrm.payments.errors import TransitionRefused
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.notification_body import NotificationMalformed, Update, read_update
from cgcrm.payments.notification_models import (
    APPLIED,
    LATE,
    OUT_OF_DATE,
    REFUSED_MALFORMED,
    REFUSED_REPLAY,
    REFUSED_SIGNATURE,
    REFUSED_STALE,
    UNKNOWN,
    PaymentNotification,
)
from cgcrm.payments.refunds import apply_refund_update
from cgcrm.payments.transitions import apply_provider_update, locked_payment_and_citizen

log = logging.getLogger(__name__)

REFUSED_EVENT = "payment_notification.refused"
FLAGGED_EVENT = "payment.notification_flagged"
MAX_BODY = 64 * 1024


class NotificationSignatureInvalid(DomainError):
    status, title, slug = 401, "Unauthorized", "notification-signature-invalid"


class NotificationStale(DomainError):
    status, title, slug = 400, "Bad request", "notification-stale"


class NotificationReplayed(DomainError):
    status, title, slug = 409, "Conflict", "notification-replayed"


@dataclass(frozen=True)
class Received:
    """What became of an accepted notification."""

    notification_id: str
    outcome: str
    flagged: bool
    state: str | None


def shared_secrets(provider: str) -> list[str]:
    """The secrets a provider's notifications may be signed with (first: the one that signs).

    :raises NotFound: no notifications are taken from ``provider``.
    """
    config = current_app.config
    if provider != "sandbox":
        raise NotFound(f"no notifications are taken from provider {provider}")
    return signatures.secrets_from(
        str(config["SANDBOX_NOTIFICATION_SECRETS"]), str(config["SECRET_KEY"])
    )


# --- recording ---


def _row(provider: str, digest: str, request_id: str | None, **values: Any) -> dict[str, Any]:
    return {
        "id": new_id(),
        "provider": provider,
        "body_sha256": digest,
        "request_id": request_id,
        "received_at": utcnow(),
        "flagged": False,
        **values,
    }


def _refuse(
    error: DomainError,
    outcome: str,
    row: dict[str, Any],
    *,
    address: str | None,
) -> DomainError:
    """Store a refused notification with its security event (one commit); the error to raise."""
    db.session.rollback()
    row = {**row, "accepted": False, "outcome": outcome, "body": None}
    db.session.execute(PaymentNotification.__table__.insert().values(**row))
    record_security_event(  # commits the row with the event
        REFUSED_EVENT,
        address=address,
        request_id=row["request_id"],
        provider=row["provider"],
        outcome=outcome,
        notification_id=row.get("notification_id"),
        body_sha256=row["body_sha256"],
        reason=error.detail,
    )
    return error


def _claim(row: dict[str, Any]) -> bool:
    """Insert an accepted notification's row in the current transaction; False when an
    accepted one with its id is already there (a replay)."""
    values = {**row, "accepted": True}
    statement = insert_ignoring_conflicts_of(
        PaymentNotification.__table__, tuple(sorted(values)), returning="id"
    )
    if db.session.get_bind().dialect.name == "postgresql":
        return execute_compiled(statement, values).fetchone() is not None
    return db.session.execute(statement, values).scalar() is not None


def _payment_of(update: Update) -> tuple[uuid.UUID | None, Payment | None, bool]:
    """The id of the payment the update is about and, for a payment's own update, the payment
    itself with its row locked for this transaction (one look-up serves the record and the
    move) and whether its citizen is unmerged (read in the same look-up)."""
    if update.kind == "payment":
        try:
            payment, citizen_current = locked_payment_and_citizen(
                provider_reference=update.provider_reference
            )
        except NotFound:
            return None, None, False
        return payment.id, payment, citizen_current
    query = select(Refund.payment_id).where(Refund.provider_reference == update.provider_reference)
    return db.session.execute(query).scalar_one_or_none(), None, False


def _late(refused: TransitionRefused, kind: str) -> bool:
    """Whether a refused update tells another ending than the one the payment (or refund) had,
    rather than a step on the way to it."""
    current, requested = refused.current_state, refused.requested_state
    if kind == "refund":
        return True
    if current == states.SUCCESS:
        return requested in states.FINISHED  # failed or error after the money was taken
    return states.finished(current)


def _apply(
    update: Update, provider: str, locked: Payment | None, citizen_current: bool = False
) -> str:
    """Apply the update (one transaction, committed with the claimed row); the state after."""
    actor = f"provider:{provider}"
    if update.kind == "refund":
        refund = apply_refund_update(
            update.provider_reference, update.state, actor=actor, occurred_at=update.occurred_at
        )
        return refund.state
    payment = apply_provider_update(
        update.provider_reference,
        update.state,
        code=update.code,
        card=update.card,
        actor=actor,
        occurred_at=update.occurred_at,
        detail={"notification_id": update.notification_id, "sequence": update.sequence},
        locked=locked,
        citizen_current=citizen_current,
    )
    return payment.state


def _record_unapplied(row: dict[str, Any], outcome: str, flagged: bool, detail: str) -> bool:
    """Claim the notification with an outcome other than applied (a new transaction); a
    flagged one is announced (``payment.notification_flagged``) in the same transaction."""
    db.session.rollback()
    try:
        claimed = _claim({**row, "outcome": outcome, "flagged": flagged, "detail": detail[:300]})
        if claimed and flagged:
            add_event(
                FLAGGED_EVENT,
                "payment_notification",
                row["id"],
                {
                    "notification_id": row["notification_id"],
                    "provider": row["provider"],
                    "outcome": outcome,
                    "payment_id": str(row["payment_id"]) if row.get("payment_id") else None,
                    "provider_reference": row["provider_reference"],
                    "state": row["to_state"],
                },
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return claimed


def receive_notification(
    provider: str,
    raw: bytes,
    signature: str | None,
    *,
    request_id: str | None = None,
    address: str | None = None,
) -> Received:
    """Verify and apply one notification from ``provider``.

    :param raw: the body exactly as received (the signature covers these bytes).
    :param signature: the ``Pay-Signature`` header.
    :raises NotFound: notifications are not taken from ``provider``.
    :raises NotificationSignatureInvalid: missing, malformed or forged signature (401).
    :raises NotificationStale: genuine but signed outside the tolerance (400).
    :raises NotificationMalformed: signed, but not a notification we can read (400).
    :raises NotificationReplayed: this notification id was already taken (409).
    """
    secrets = shared_secrets(provider)
    digest = hashlib.sha256(raw).hexdigest()
    row = _row(provider, digest, request_id)
    tolerance = int(current_app.config["PAYMENT_NOTIFICATION_TOLERANCE"])
    try:
        signed = signatures.verify(signature, raw, secrets, time.time(), tolerance)
    except signatures.SignatureRefused as refused:
        raise _refuse(
            NotificationSignatureInvalid(refused.reason), REFUSED_SIGNATURE, row, address=address
        ) from None
    except signatures.SignatureStale as stale:
        row["signed_at"] = datetime.fromtimestamp(stale.timestamp, UTC)
        raise _refuse(
            NotificationStale(f"the notification was {stale}; the tolerance is {tolerance} s"),
            REFUSED_STALE,
            {**row, "flagged": False},
            address=address,
        ) from None
    row["signed_at"] = datetime.fromtimestamp(signed, UTC)
    try:
        update = read_update(raw)
    except NotificationMalformed as malformed:
        raise _refuse(
            malformed, REFUSED_MALFORMED, {**row, "flagged": True}, address=address
        ) from None
    row.update(
        notification_id=update.notification_id,
        kind=update.kind,
        provider_reference=update.provider_reference,
        to_state=update.state,
        code=update.code,
        occurred_at=update.occurred_at,
        body=update.kept,
    )
    try:
        row["payment_id"], locked, citizen_current = _payment_of(update)
    except Exception:
        db.session.rollback()
        raise
    replay = NotificationReplayed(
        f"notification {update.notification_id} was already received; it is not applied again"
    )
    try:
        if not _claim({**row, "outcome": APPLIED}):
            raise _refuse(replay, REFUSED_REPLAY, row, address=address)
        state = _apply(
            update, provider, locked, citizen_current
        )  # commits the claimed row with the payment's move
    except TransitionRefused as refused:
        late = _late(refused, update.kind)
        outcome = LATE if late else OUT_OF_DATE
        detail = f"the {update.kind} was already {refused.current_state}"
        if not _record_unapplied(row, outcome, late, detail):
            raise _refuse(replay, REFUSED_REPLAY, row, address=address) from None
        if late:
            log.warning(
                "payment notification %s flagged: %s reports %s, %s",
                update.notification_id,
                update.provider_reference,
                update.state,
                detail,
            )
        return Received(update.notification_id, outcome, late, refused.current_state)
    except NotFound:
        detail = f"no {update.kind} has provider reference {update.provider_reference}"
        if not _record_unapplied(row, UNKNOWN, True, detail):
            raise _refuse(replay, REFUSED_REPLAY, row, address=address) from None
        log.warning("payment notification %s flagged: %s", update.notification_id, detail)
        return Received(update.notification_id, UNKNOWN, True, None)
    except ValidationError as invalid:
        # Signed by the provider but not a move we can make (a code that does not go with
        # its state): kept and flagged for a person, refused so the provider sees it.
        raise _refuse(
            NotificationMalformed(invalid.detail),
            REFUSED_MALFORMED,
            {**row, "flagged": True},
            address=address,
        ) from None
    return Received(update.notification_id, APPLIED, False, state)
