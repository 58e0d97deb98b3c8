"""Work of the payments domain run by the worker."""

from __future__ import annotations

from cgcrm.payments import expiry


def expire_payments() -> int:
    """Periodic job (every PAYMENT_EXPIRY_INTERVAL seconds): fail payments not finished within
    PAYMENT_EXPIRY_MINUTES (P0020). Idempotent.

    :returns: how many payments this run expired.
    """
    return expiry.expire_payments()
