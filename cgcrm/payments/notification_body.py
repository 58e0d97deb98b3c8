"""Reading a provider's notification once its signature is verified: what it says, checked.

Only what we understand is kept of it (``Update.kept``): references, states, codes, times, and
of a card its brand, last four digits and expiry, whatever else a body carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cgcrm.core.errors import DomainError
from cgcrm.payments import states
from cgcrm.payments.providers.base import CardSummary

_ID_MAX = 80
_REFERENCE_MAX = 80
_CARD_EXPIRY = ("0", "1")


class NotificationMalformed(DomainError):
    status, title, slug = 400, "Bad request", "notification-malformed"


@dataclass(frozen=True)
class Update:
    """A notification's body, read and checked."""

    notification_id: str
    kind: str  # payment or refund
    provider_reference: str
    state: str
    code: str | None
    card: CardSummary | None
    occurred_at: datetime
    sequence: int | None
    kept: dict[str, Any]  # what is stored of the body


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= limit and value.isprintable():
        return value
    return None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _card(value: Any) -> CardSummary | None:
    """Brand, last four and expiry; anything else a provider put there is not kept."""
    if not isinstance(value, dict):
        return None
    brand = _text(value.get("brand"), 20)
    last4 = value.get("last4")
    expiry = value.get("expiry")
    if not (brand and isinstance(last4, str) and len(last4) == 4 and last4.isdigit()):
        return None
    if not (isinstance(expiry, str) and len(expiry) == 5 and expiry[2] == "/"):
        return None
    if not (expiry[:2].isdigit() and expiry[3:].isdigit() and expiry[0] in _CARD_EXPIRY):
        return None
    return CardSummary(brand=brand, last4=last4, expiry=expiry)


def read_update(raw: bytes) -> Update:
    """The update a verified body carries.

    :raises NotificationMalformed: not JSON, or not a notification we understand.
    """
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise NotificationMalformed("the notification is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("resource"), dict):
        raise NotificationMalformed("the notification has no resource")
    resource = body["resource"]
    notification_id = _text(body.get("id"), _ID_MAX)
    kind = _text(resource.get("type"), 10)
    reference = _text(resource.get("provider_reference"), _REFERENCE_MAX)
    state = _text(resource.get("state"), 20)
    occurred_at = _moment(resource.get("occurred_at"))
    code = resource.get("code")
    if code is not None and not isinstance(code, str):
        code = "?"
    sequence = body.get("sequence")
    problems = []
    if notification_id is None:
        problems.append("id")
    if kind not in {"payment", "refund"}:
        problems.append("resource.type")
    if reference is None:
        problems.append("resource.provider_reference")
    allowed = states.RANKS if kind == "payment" else states.REFUND_STATES
    if not isinstance(state, str) or state not in allowed:
        problems.append("resource.state")
    if code is not None and code not in states.CODES:
        problems.append("resource.code")
    elif kind == "payment" and isinstance(state, str) and state in states.RANKS:
        effective = code if code is not None else states.default_code(state)
        if states.code_problem(state, effective):
            problems.append("resource.code")
    if occurred_at is None:
        problems.append("resource.occurred_at")
    if sequence is not None and not (isinstance(sequence, int) and 0 <= sequence < 2**31):
        problems.append("sequence")
    if problems:
        raise NotificationMalformed(
            f"the notification's {', '.join(problems)} cannot be read", fields=problems
        )
    assert notification_id and kind and reference and occurred_at and state
    card = _card(resource.get("card")) if kind == "payment" else None
    kept = {
        "id": notification_id,
        "type": _text(body.get("type"), 40),
        "sequence": sequence,
        "resource": {
            "type": kind,
            "provider_reference": reference,
            "state": state,
            "code": code,
            "occurred_at": occurred_at.isoformat(),
            "card": card.__dict__ if card else None,
        },
    }
    return Update(notification_id, kind, reference, state, code, card, occurred_at, sequence, kept)
