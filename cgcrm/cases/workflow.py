"""The case workflow: which status may follow which. Imports nothing of ours.

``new → in_progress → awaiting_citizen → in_progress → resolved → closed`` is the usual path.
A case may also be resolved straight from ``new`` (settled at first contact) or while awaiting
the citizen (they never came back), wait for the citizen straight from ``new``, and be reopened
(``resolved → in_progress``) within the reopen window after its resolution. ``closed`` is final.
"""

from __future__ import annotations

from datetime import datetime, timedelta

STATUSES = ("new", "in_progress", "awaiting_citizen", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "awaiting_citizen")
PRIORITIES = ("low", "normal", "high", "urgent")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_progress", "awaiting_citizen", "resolved"),
    "in_progress": ("awaiting_citizen", "resolved"),
    "awaiting_citizen": ("in_progress", "resolved"),
    "resolved": ("in_progress", "closed"),
    "closed": (),
}


def is_reopen(source: str, target: str) -> bool:
    return source == "resolved" and target == "in_progress"


def allowed_transitions(
    status: str, resolved_at: datetime | None, now: datetime, reopen_window: timedelta
) -> list[str]:
    """The statuses a case in ``status`` may move to at ``now``.

    :param resolved_at: when the case was resolved; reopening is allowed until
        ``resolved_at + reopen_window``.
    """
    targets = list(TRANSITIONS.get(status, ()))
    if status == "resolved" and (resolved_at is None or now > resolved_at + reopen_window):
        targets.remove("in_progress")
    return targets
