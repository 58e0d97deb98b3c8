"""``GET /api/v1/payments/notifications``: the notifications providers sent, flagged first to
look at (late after a payment finished, unknown references, refusals)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from cgcrm.core import scopes
from cgcrm.core.fields import Cursor
from cgcrm.core.openapi import Blueprint
from cgcrm.core.pagination import (
    decode_cursor,
    moment_and_id,
    moment_and_id_key,
    next_link,
    page_limit,
)
from cgcrm.identity.guard import current_actor, requires
from cgcrm.payments.notification_log import list_notifications
from cgcrm.payments.notification_models import OUTCOMES, PaymentNotification

blp = Blueprint(
    "payment_notification_log",
    __name__,
    url_prefix="/api/v1/payments/notifications",
    description="What payment providers told us, and what became of it.",
)


class PaymentNotificationQuerySchema(Schema):
    flagged = fields.Boolean(metadata={"description": "Only those a person must look at."})
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    payment_id = fields.UUID()
    cursor = Cursor()
    limit = fields.Integer(validate=validate.Range(min=1, max=200))


class PaymentNotificationSchema(Schema):
    id = fields.UUID()
    provider = fields.String()
    notification_id = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    accepted = fields.Boolean()
    outcome = fields.String(metadata={"description": " | ".join(OUTCOMES)})
    flagged = fields.Boolean()
    kind = fields.String(allow_none=True, metadata={"description": "payment | refund"})
    provider_reference = fields.String(allow_none=True)
    payment_id = fields.UUID(allow_none=True)
    to_state = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    occurred_at = fields.AwareDateTime(allow_none=True)
    signed_at = fields.AwareDateTime(allow_none=True)
    detail = fields.String(allow_none=True)


def _cursor_key(notification: PaymentNotification) -> str:
    return moment_and_id_key(notification.received_at, notification.id)


@blp.route("")
class PaymentNotificationsView(MethodView):
    @requires(scopes.PAYMENTS_WRITE)
    @blp.arguments(PaymentNotificationQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, PaymentNotificationSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None, **filters: Any) -> Any:
        """List the notifications providers sent about your payments, newest first."""
        size = page_limit(limit)
        found = list_notifications(
            current_actor(), limit=size, after=decode_cursor(cursor, moment_and_id), **filters
        )
        link = next_link(found, size, key=_cursor_key)
        return found, ({"Link": link} if link else {})
