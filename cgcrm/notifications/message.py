"""What is sent, and the interface every way of sending implements. Imports nothing of ours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

NOTIFICATION_CHANNELS = ("email", "sms", "post")


@dataclass(frozen=True)
class Message:
    """One message to one recipient.

    :param reference: unique per message and stable across retries (e.g. ``<template>:<event
        id>``); adapters use it to send a message once however often they are called.
    :param template: what kind of message this is (``consent.sharing_granted``), for reports.
    :param channel: one of ``NOTIFICATION_CHANNELS``.
    :param address: an email address, an E.164 phone number or a postal address.
    :param recipient_ref: who it is for, as an id (``citizen:<uuid>``), never a name.
    """

    reference: str
    template: str
    channel: str
    address: str
    recipient_ref: str
    subject: str
    body: str


class NotificationAdapter(Protocol):
    """A way of sending. Built once per application from its configuration."""

    name: str

    def send(self, message: Message) -> None:
        """Send ``message`` (or queue it with the provider); a repeat of a reference already
        sent does nothing.

        Runs inside the caller's database transaction, which the caller commits.

        :raises Exception: the message could not be handed over; the caller's job retries.
        """
        ...
