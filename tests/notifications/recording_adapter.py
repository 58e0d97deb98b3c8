"""A second way of sending, as a gateway module would be: it keeps what it was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cgcrm.notifications.message import Message

SENT: list[Message] = []


class RecordingAdapter:
    name = "recording"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.region = config["DEFAULT_PHONE_REGION"]

    def send(self, message: Message) -> None:
        SENT.append(message)
