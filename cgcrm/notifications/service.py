"""Sending a notification: validate the message, hand it to the configured adapter."""

from __future__ import annotations

import importlib

from flask import current_app

from cgcrm.core.errors import ValidationError
from cgcrm.notifications.message import NOTIFICATION_CHANNELS, Message, NotificationAdapter

_ADAPTER_KEY = "cgcrm.notification_adapter"


def load_adapter(path: str, config: dict[str, object]) -> NotificationAdapter:
    """Build the adapter ``module:Class`` names, passing it the application's configuration.

    :raises ValueError: ``path`` is not ``module:Class`` or names nothing importable.
    """
    module_name, _, class_name = path.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"NOTIFICATION_ADAPTER must be module:Class, not {path!r}")
    try:
        adapter_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"NOTIFICATION_ADAPTER {path!r} cannot be imported: {exc}") from exc
    adapter: NotificationAdapter = adapter_class(config)
    return adapter


def notification_adapter() -> NotificationAdapter:
    """The application's adapter, built on first use (imported only where messages are sent)."""
    extensions = current_app.extensions
    if _ADAPTER_KEY not in extensions:
        extensions[_ADAPTER_KEY] = load_adapter(
            current_app.config["NOTIFICATION_ADAPTER"], dict(current_app.config)
        )
    adapter: NotificationAdapter = extensions[_ADAPTER_KEY]
    return adapter


def send_notification(message: Message) -> None:
    """Send one message through the configured adapter, in the caller's transaction.

    Call it from a job or an event handler (never in a request); the caller commits. A repeat
    of ``message.reference`` sends nothing new, so a retried job is harmless.

    :raises ValidationError: an unknown channel, or an empty address or body.
    :raises Exception: whatever the adapter raised (the caller's job fails and is retried).
    """
    if message.channel not in NOTIFICATION_CHANNELS:
        raise ValidationError(
            f"unknown notification channel {message.channel!r}",
            errors={"channel": [f"one of {', '.join(NOTIFICATION_CHANNELS)}"]},
        )
    if not message.address.strip() or not message.body.strip() or not message.reference:
        raise ValidationError("a notification needs a reference, an address and a body")
    notification_adapter().send(message)
