"""``POST /api/v1/payments/notifications/<provider>``: where payment providers tell us news.

Public by name (``identity.guard.PUBLIC_ENDPOINTS``): a provider sends no token of ours; its
``Pay-Signature`` over the raw body is the credential, checked before the body is read
(``cgcrm.payments.notifications``). A plain Flask view, documented by hand
(``OPENAPI_PATHS``), because the document says it takes no OAuth token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from cgcrm.core.http import accepts_bodies
from cgcrm.core.openapi_contract import HEADER_PARAMETERS, problem_response_headers
from cgcrm.payments import notifications, signatures

blp = Blueprint("payment_notifications", __name__, url_prefix="/api/v1/payments/notifications")
PATH = "/api/v1/payments/notifications/{provider}"


@blp.post("/<string:provider>")
@accepts_bodies("application/json")
def receive(provider: str) -> Any:
    """Take one signed notification from a payment provider."""
    if (request.content_length or 0) > notifications.MAX_BODY:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)
    if len(raw) > notifications.MAX_BODY:
        raise RequestEntityTooLarge()
    received = notifications.receive_notification(
        provider,
        raw,
        request.headers.get(signatures.HEADER),
        request_id=g.request_id,
        address=request.remote_addr,
    )
    return jsonify(
        id=received.notification_id,
        outcome=received.outcome,
        flagged=received.flagged,
        state=received.state,
    )


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


_EVERY = {name: _ref(name) for name in ("X-Request-ID", "RateLimit-Policy", "RateLimit")}
_ERRORS = {
    "400": "Stale (signed outside the tolerance), or signed but not a notification we read.",
    "401": "No Pay-Signature, or one that does not match the body: refused and audited.",
    "403": "Not allowed.",
    "404": "Notifications are not taken from this provider.",
    "409": "This notification id was already received (type notification-replayed): audited; "
    "the provider may treat it as delivered.",
    "413": "The body is larger than 64 KiB.",
    "415": "The body is not application/json.",
    "422": "Not used: a notification we cannot read is a 400.",
    "429": "Too many requests.",
    "503": "The database is unavailable; send it again later.",
}


def _problem(status: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": problem_response_headers(int(status)),
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


_RECEIVED = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "The provider's notification id."},
        "outcome": {
            "type": "string",
            "enum": ["applied", "out_of_date", "late", "unknown"],
            "description": "applied; out_of_date (older than what we know: kept, not applied); "
            "late (the payment had finished otherwise: kept and flagged); unknown (no such "
            "payment or refund: kept and flagged).",
        },
        "flagged": {"type": "boolean"},
        "state": {
            "type": ["string", "null"],
            "description": "The payment's or refund's state now.",
        },
    },
    "required": ["id", "outcome", "flagged", "state"],
}

OPENAPI_PATHS: dict[str, Any] = {
    PATH: {
        "post": {
            "operationId": "receivePaymentNotification",
            "summary": "Take one signed notification from a payment provider.",
            "description": "The body is the provider's JSON notification; `Pay-Signature: "
            "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>` authenticates it. "
            "Forged, stale and replayed notifications are refused and audited; out-of-order ones "
            "never move a payment backwards.",
            "tags": ["payments"],
            "security": [],
            "parameters": [
                {
                    "in": "path",
                    "name": "provider",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 40},
                    "example": "sandbox",
                },
                {"in": "header", "name": "X-Request-ID", **HEADER_PARAMETERS["X-Request-ID"]},
                {
                    "in": "header",
                    "name": signatures.HEADER,
                    "required": True,
                    "description": "Timestamp and signature(s) of the raw body.",
                    "schema": {"type": "string", "maxLength": 2048},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "200": {
                    "description": "Received; what became of it.",
                    "headers": dict(_EVERY),
                    "content": {"application/json": {"schema": _RECEIVED}},
                },
                **{status: _problem(status, text) for status, text in _ERRORS.items()},
            },
        }
    }
}
