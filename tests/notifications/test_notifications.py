"""The notification interface: one message type, adapters chosen by a setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.errors import ValidationError
from cgcrm.extensions import db
from cgcrm.notifications.message import Message
from cgcrm.notifications.models import SentNotification
from cgcrm.notifications.service import load_adapter, send_notification
from tests.notifications import recording_adapter


def message(**overrides: Any) -> Message:
    values: dict[str, Any] = {
        "reference": "test:1",
        "template": "test.hello",
        "channel": "email",
        "address": "someone@example.com",
        "recipient_ref": "citizen:0190b6d2-0000-7000-8000-000000000000",
        "subject": "Hello",
        "body": "A message.",
        **overrides,
    }
    return Message(**values)


@pytest.fixture
def adapter_setting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set NOTIFICATION_ADAPTER for one test; the adapter is rebuilt for it."""

    def use(path: str) -> None:
        monkeypatch.setitem(app.config, "NOTIFICATION_ADAPTER", path)
        app.extensions.pop("cgcrm.notification_adapter", None)

    yield use
    app.extensions.pop("cgcrm.notification_adapter", None)


def test_the_default_adapter_writes_each_reference_once(app: Flask, adapter_setting: Any) -> None:
    adapter_setting("cgcrm.notifications.table_adapter:TableAdapter")
    with app.app_context():
        send_notification(message())
        send_notification(message(body="A retry of the same message."))
        db.session.commit()
        rows = list(db.session.scalars(sa.select(SentNotification)))
        db.session.remove()
    assert [(r.reference, r.body, r.adapter) for r in rows] == [("test:1", "A message.", "table")]


def test_the_setting_chooses_the_adapter(app: Flask, adapter_setting: Any) -> None:
    adapter_setting("tests.notifications.recording_adapter:RecordingAdapter")
    recording_adapter.SENT.clear()
    with app.app_context():
        send_notification(message(channel="sms", address="+61412345678"))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SentNotification)) == 0
        db.session.remove()
    assert [m.address for m in recording_adapter.SENT] == ["+61412345678"]


def test_messages_are_checked_before_any_adapter_sees_them(
    app: Flask, adapter_setting: Any
) -> None:
    adapter_setting("tests.notifications.recording_adapter:RecordingAdapter")
    recording_adapter.SENT.clear()
    with app.app_context():
        for bad in (message(channel="pigeon"), message(address=" "), message(body="")):
            with pytest.raises(ValidationError):
                send_notification(bad)
    assert recording_adapter.SENT == []


@pytest.mark.parametrize("path", ["nonsense", "cgcrm.nowhere:Adapter", "cgcrm.notifications:No"])
def test_an_unusable_adapter_setting_says_so(path: str) -> None:
    with pytest.raises(ValueError, match="NOTIFICATION_ADAPTER"):
        load_adapter(path, {})
