"""How the sandbox gateway delivers its notifications: signed POSTs, retried until taken.

Each attempt signs the stored body afresh (``Pay-Signature``, a new timestamp) and POSTs it:

- to SANDBOX_NOTIFICATION_URL over HTTP when it is set (a loopback address only: the sandbox
  never calls out of the machine);
- otherwise through this application's WSGI interface, with a WSGI client (the request goes
  through routing, the guard, body parsing and the problem handlers like any other).

A 2xx answer, or a 409 saying we already have that notification, ends it. Anything else (a
refusal, a 5xx, no answer within SANDBOX_DELIVERY_TIMEOUT) leaves it pending with the next
attempt further away (5 s doubling to an hour); after SANDBOX_DELIVERY_ATTEMPTS it is
abandoned, and the settlement report is what still tells the merchant about the money.

An attempt first leases its row (``next_attempt_at`` pushed past the timeout, committed), so
two workers never send the same notification at once, and no transaction is open while it
waits for an answer.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.test import Client

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.payments import signatures
from cgcrm.payments.providers.sandbox.models import SandboxNotification

log = logging.getLogger(__name__)

NOTIFICATION_PATH = "/api/v1/payments/notifications/sandbox"
_FIRST_BACKOFF = 5
_MAX_BACKOFF = 3600
# What our endpoint calls a notification it already has (problem type slug).
ALREADY_RECEIVED = "notification-replayed"


@dataclass(frozen=True)
class Attempt:
    status: int | None
    error: str | None
    taken: bool


def notification_secrets() -> list[str]:
    """The shared secrets, first the one that signs; derived from SECRET_KEY when unset."""
    config = current_app.config
    return signatures.secrets_from(
        str(config["SANDBOX_NOTIFICATION_SECRETS"]), str(config["SECRET_KEY"])
    )


def check_loopback(url: str) -> str:
    """``url`` when it is http(s) on a loopback address.

    :raises ValueError: any other scheme or host.
    """
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    if parsed.scheme not in {"http", "https"}:
        raise ValueError("SANDBOX_NOTIFICATION_URL must be http(s)")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("SANDBOX_NOTIFICATION_URL must be a loopback address")
    return url


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(_FIRST_BACKOFF * 2 ** max(attempts - 1, 0), _MAX_BACKOFF))


def _taken(status: int | None, body: bytes) -> bool:
    if status is not None and 200 <= status < 300:
        return True
    return status == 409 and ALREADY_RECEIVED.encode() in body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other: never followed (it could lead off the machine)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# No proxy from the environment either: the address given is the one we talk to.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _post_http(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Attempt:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = int(response.status)
            return Attempt(status, None, _taken(status, response.read(4096)))
    except urllib.error.HTTPError as refused:
        return Attempt(refused.code, f"HTTP {refused.code}", _taken(refused.code, refused.read()))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(None, f"no answer: {reason}"[:200], False)


def _post_wsgi(body: bytes, headers: dict[str, str]) -> Attempt:
    client = Client(current_app._get_current_object())  # type: ignore[attr-defined]
    response = client.post(
        NOTIFICATION_PATH,
        data=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    status = response.status_code
    return Attempt(
        status, None if status < 300 else f"HTTP {status}", _taken(status, response.data)
    )


def send(body: bytes) -> Attempt:
    """Sign and POST one notification body once; what came back."""
    config = current_app.config
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(body, notification_secrets(), int(time.time())),
        "User-Agent": "cgcrm-sandbox-gateway/1",
    }
    url = str(config["SANDBOX_NOTIFICATION_URL"])
    if not url:
        return _post_wsgi(body, headers)
    try:
        check_loopback(url)
    except ValueError as refused:
        log.error("sandbox: %s; notification not sent", refused)
        return Attempt(None, str(refused), False)
    return _post_http(url, body, headers, float(config["SANDBOX_DELIVERY_TIMEOUT"]))


def _lease(notification_id: uuid.UUID) -> str | None:
    """Take the row for one attempt (committed); its body, or None when not due or not ours."""
    now = utcnow()
    lease = timedelta(seconds=float(current_app.config["SANDBOX_DELIVERY_TIMEOUT"]) * 2 + 30)
    table = SandboxNotification.__table__
    body = db.session.execute(
        update(table)
        .where(
            table.c.id == notification_id,
            table.c.delivered_at.is_(None),
            table.c.abandoned_at.is_(None),
            table.c.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease, attempts=table.c.attempts + 1)
        .returning(table.c.body)
    ).scalar()
    db.session.commit()
    return body


def _record(notification_id: uuid.UUID, attempt: Attempt) -> None:
    notification = db.session.get(SandboxNotification, notification_id, with_for_update=True)
    if notification is None:
        db.session.rollback()
        return
    now = utcnow()
    notification.last_status = attempt.status
    notification.last_error = attempt.error
    if attempt.taken:
        notification.delivered_at = now
    elif notification.attempts >= int(current_app.config["SANDBOX_DELIVERY_ATTEMPTS"]):
        notification.abandoned_at = now
        log.warning(
            "sandbox: notification %s abandoned after %d attempts",
            notification_id,
            notification.attempts,
        )
    else:
        notification.next_attempt_at = now + _backoff(notification.attempts)
    db.session.commit()


def deliver(notification_id: uuid.UUID) -> bool:
    """Make one attempt at a notification that is due; whether the merchant has it now."""
    body = _lease(notification_id)
    if body is None:
        return False
    attempt = send(body.encode("utf-8"))
    _record(notification_id, attempt)
    if not attempt.taken:
        log.info("sandbox: notification %s not taken: %s", notification_id, attempt.error)
    return attempt.taken


def due_notifications(charge_id: uuid.UUID | None = None, limit: int = 500) -> list[uuid.UUID]:
    """Pending notifications due now, oldest first (of one charge, or of all)."""
    query = (
        select(SandboxNotification.id)
        .where(
            SandboxNotification.delivered_at.is_(None),
            SandboxNotification.abandoned_at.is_(None),
            SandboxNotification.next_attempt_at <= utcnow(),
        )
        .order_by(SandboxNotification.created_at, SandboxNotification.id)
        .limit(limit)
    )
    if charge_id is not None:
        query = query.where(SandboxNotification.charge_id == charge_id)
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def deliver_due(charge_id: uuid.UUID | None = None) -> int:
    """Attempt every due notification (of one charge, or all); how many were taken."""
    return sum(deliver(notification_id) for notification_id in due_notifications(charge_id))
