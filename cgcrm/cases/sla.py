"""Where a case stands against its service-level target. Pure: no database, no application.

``due_at`` already includes every pause that has ended (the service layer moves it forward when
a case stops waiting for the citizen, or is reopened); a pause still running is reported as
``paused`` and has not moved it yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cgcrm.cases.workflow import OPEN_STATUSES

# Wall-clock hours before the due time at which an open case counts as "due soon".
DUE_SOON = timedelta(hours=24)
SLA_STATES = ("on_track", "due_soon", "breached", "paused", "met", "missed")


def sla_state(case: Any, now: datetime) -> dict[str, Any]:
    """The SLA standing of ``case`` at ``now``.

    :param case: anything with ``status``, ``due_at``, ``sla_paused_at``, ``sla_paused_seconds``,
        ``sla_breached_at`` and ``resolved_at`` (a ``Case``).
    :returns: ``due_at``; ``state``, one of

        - ``on_track``: open, more than ``DUE_SOON`` before ``due_at``;
        - ``due_soon``: open, within ``DUE_SOON`` of ``due_at``;
        - ``breached``: open and past ``due_at`` (or flagged as breached);
        - ``paused``: awaiting the citizen, not breached before the pause;
        - ``met`` / ``missed``: resolved or closed, on time / late;

        ``paused`` (bool), ``paused_since``, ``paused_seconds`` (working seconds of the pauses
        that ended) and ``breached_at`` (when the case was flagged, or None).
    """
    due_at: datetime = case.due_at
    paused_since: datetime | None = case.sla_paused_at
    breached_at: datetime | None = case.sla_breached_at
    if case.status not in OPEN_STATUSES:
        resolved_at = case.resolved_at
        late = breached_at is not None or (resolved_at is not None and resolved_at > due_at)
        state = "missed" if late else "met"
    elif paused_since is not None:
        state = "breached" if breached_at is not None else "paused"
    elif breached_at is not None or now > due_at:
        state = "breached"
    elif now >= due_at - DUE_SOON:
        state = "due_soon"
    else:
        state = "on_track"
    return {
        "due_at": due_at,
        "state": state,
        "paused": paused_since is not None,
        "paused_since": paused_since,
        "paused_seconds": int(case.sla_paused_seconds or 0),
        "breached_at": breached_at,
    }
