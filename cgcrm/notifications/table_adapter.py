"""The default adapter: a message is a row in ``notifications`` and a line in the log.

Development, tests and deployments without a gateway yet get every message recorded where an
administrator can read it; the row commits with the job's transaction, so it is written once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.upsert import insert_ignoring_conflicts
from cgcrm.extensions import db
from cgcrm.notifications.message import Message
from cgcrm.notifications.models import SentNotification

log = logging.getLogger(__name__)


class TableAdapter:
    """Writes each message to the ``notifications`` table and logs its reference."""

    name = "table"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def send(self, message: Message) -> None:
        """Insert the message; a reference already there is left as it is."""
        db.session.execute(
            insert_ignoring_conflicts(SentNotification.__table__),
            {
                "id": new_id(),
                "reference": message.reference,
                "template": message.template,
                "channel": message.channel,
                "address": message.address,
                "recipient_ref": message.recipient_ref,
                "subject": message.subject,
                "body": message.body,
                "adapter": self.name,
                "sent_at": utcnow(),
            },
        )
        # The reference and template only: addresses and bodies stay out of log streams.
        log.info(
            "notification %s (%s) by %s to %s",
            message.reference,
            message.template,
            message.channel,
            message.recipient_ref,
        )
