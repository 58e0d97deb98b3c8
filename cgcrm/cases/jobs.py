"""RQ job functions of cases. They run inside an application context and take primitives."""

from __future__ import annotations

from cgcrm.cases import service


def flag_breached_cases() -> int:
    """Periodic SLA check (every ``SLA_CHECK_INTERVAL`` seconds): flag open cases past due.

    Idempotent: a case is flagged, and its ``case.sla_breached`` event written, once.

    :returns: how many cases this run flagged.
    """
    return service.flag_breached_cases()
