"""The periodic reconciliation job. It runs inside an application context and takes nothing."""

from __future__ import annotations

from cgcrm.payments import reconciliation


def reconcile_payments() -> int:
    """Periodic (every PAYMENT_RECONCILIATION_INTERVAL seconds): reconcile each closed day of
    the look-back window that is due (``reconciliation.days_due``) for every provider.

    Idempotent: a day reconciled again replaces its stored result.

    :returns: how many days this run reconciled.
    """
    return len(reconciliation.reconcile_due_days())
