"""The payment service's own domain errors (mapped to problem+json like every other)."""

from __future__ import annotations

from cgcrm.core.errors import Conflict, DomainError, ValidationError


class TransitionRefused(Conflict):
    """A move that would take a payment or refund backwards, or out of a finished state.

    The notification handler catches it to record and flag a late or out-of-order update;
    ``current_state`` and ``requested_state`` say what was refused.
    """

    slug = "payment-transition-refused"

    def __init__(self, detail: str, *, current_state: str, requested_state: str) -> None:
        super().__init__(detail, current_state=current_state, requested_state=requested_state)
        self.current_state = current_state
        self.requested_state = requested_state


class ProviderUnavailable(DomainError):
    """The payment provider failed or did not answer; nothing was written (retry later)."""

    status, title, slug = 503, "Service unavailable", "payment-provider-unavailable"


class InvalidCard(ValidationError):
    """A provider reported card details that are not a brand, four digits and MM/YY."""
