"""The sandbox gateway: a simulated card processor with its own books, a hosted card page, MOTO
entry, asynchronous authorisation, capture and refunds, signed notifications and a daily
settlement file. ``SandboxProvider`` is the adapter our payments use."""

from cgcrm.payments.providers.sandbox.adapter import SandboxProvider

__all__ = ["SandboxProvider"]
