"""The periodic job that seals the audit trail (see ``cgcrm.core.audit_seal``)."""

from __future__ import annotations

import logging

from cgcrm.core.audit_seal import seal_pending

log = logging.getLogger(__name__)


def seal_audit_trail() -> int:
    """Periodic job: chain, sign and checkpoint the audit events written since the last run.

    Seals at most ``AUDIT_SEAL_BATCH`` events; a backlog is taken over the following runs.
    Does nothing while another worker's run holds the sealer's lock.

    :returns: how many events were sealed.
    """
    result = seal_pending()
    if result.sealed and result.head is not None:
        log.info(
            "audit: sealed %s events, head at position %s", result.sealed, result.head.position
        )
    return result.sealed
