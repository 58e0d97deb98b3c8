"""The workflow and the SLA clock: status transitions, their history, and breach flagging.

The clock stops while a case awaits the citizen and while it is resolved. When it restarts
(the citizen answered, or the case was reopened) ``due_at`` moves forward by the working time
it was stopped (``WorkingCalendar.working_seconds_between``: partial days count pro rata, e.g.
Friday 15:00 to Monday 10:00 is 19 working hours), and that time is added to
``sla_paused_seconds``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from cgcrm.cases.models import Case, CaseTransition
from cgcrm.cases.service.access import (
    audit,
    calendar,
    case_records_page,
    load_visible,
    record_transition,
    reopen_window,
    require_owner,
    require_version,
    transaction,
    with_catalog,
)
from cgcrm.cases.workflow import OPEN_STATUSES, allowed_transitions, is_reopen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import SYSTEM, Actor
from cgcrm.extensions import db

BREACH_JOB_REQUEST_ID = "job:flag_breached_cases"


def _flag_breached(case: Case, now: datetime) -> None:
    case.sla_breached_at = now
    add_event(
        "case.sla_breached",
        "case",
        case.id,
        {
            "case_id": str(case.id),
            "service_code": case.service_code,
            "department_code": case.department_code,
            "due_at": case.due_at.isoformat(),
        },
    )


def _restart_clock(case: Case, since: datetime, now: datetime) -> None:
    stopped = calendar().working_seconds_between(since, now)
    case.due_at = calendar().add_working_seconds(case.due_at, stopped)
    case.sla_paused_seconds = (case.sla_paused_seconds or 0) + stopped


def _apply(case: Case, target: str, now: datetime) -> None:
    """Move the SLA clock and the status timestamps for ``case.status → target``."""
    source = case.status
    if source == "awaiting_citizen" and case.sla_paused_at is not None:
        _restart_clock(case, case.sla_paused_at, now)
        case.sla_paused_at = None
    if is_reopen(source, target) and case.resolved_at is not None:
        _restart_clock(case, case.resolved_at, now)
        case.resolved_at = None
    # Resolving (or pausing) an overdue case that the periodic check has not yet flagged.
    if source in OPEN_STATUSES and case.sla_breached_at is None and now > case.due_at:
        _flag_breached(case, now)
    if target == "awaiting_citizen":
        case.sla_paused_at = now
    elif target == "resolved":
        case.resolved_at = now
    elif target == "closed":
        case.closed_at = now
    case.status = target


def transition_case(
    actor: Actor,
    case_id: uuid.UUID,
    expected_version: int,
    target: str,
    reason: str | None = None,
) -> Case:
    """Move a case to status ``target``, recording who, when, from which department and why.

    :raises NotFound: no such case, or one the caller may not see.
    :raises NotAuthorized: the caller sees the case but is not of its department.
    :raises PreconditionFailed: the case changed since ``expected_version``.
    :raises Conflict: the workflow does not allow it now; ``allowed_transitions`` lists what
        it allows (reopening only within ``CASE_REOPEN_WINDOW_DAYS`` of resolution).
    """
    with transaction():
        case = load_visible(actor, case_id, for_update=True)
        require_owner(actor, case)
        require_version(case, expected_version)
        now = utcnow()
        allowed = allowed_transitions(case.status, case.resolved_at, now, reopen_window())
        if target not in allowed:
            hint = ""
            if is_reopen(case.status, target):
                hint = f" (the reopen window of {reopen_window().days} days has passed)"
            raise Conflict(
                f"a {case.status} case cannot move to {target}{hint}",
                allowed_transitions=allowed,
            )
        source = case.status
        _apply(case, target, now)
        case.version += 1
        case.updated_at = now
        record_transition(actor, case, source, target, now, reason)
        add_event(
            "case.status_changed",
            "case",
            case.id,
            {
                "case_id": str(case.id),
                "from": source,
                "to": target,
                "department_code": case.department_code,
                "version": case.version,
            },
        )
        audit(actor, case, "case.transitioned", ["status"])
    return case


def list_transitions(
    actor: Actor, case_id: uuid.UUID, *, limit: int, after: uuid.UUID | None = None
) -> list[CaseTransition]:
    """A page of a case's transitions, oldest first (the first is its opening, from None).

    :raises NotFound: no such case, or one the caller may not see.
    """
    return case_records_page(
        actor, case_id, CaseTransition, limit=limit, after=after, disclosed="transitions"
    )


def flag_breached_cases(now: datetime | None = None) -> int:
    """Flag open, running cases past their due time, once each, with ``case.sla_breached``.

    One transaction. Cases awaiting the citizen are skipped (their clock is stopped); cases
    already flagged are skipped, so running twice flags once. On PostgreSQL rows another run
    holds are skipped (``FOR UPDATE SKIP LOCKED``), so overlapping runs never double-flag.
    Flagging is clock state, not an edit: the case's version does not change.

    :param now: the time to judge against (default: the current time).
    :returns: how many cases were flagged.
    """
    now = now or utcnow()
    query = (
        select(Case)
        .where(
            Case.status.in_(OPEN_STATUSES),
            Case.sla_breached_at.is_(None),
            Case.sla_paused_at.is_(None),
            Case.due_at < now,
        )
        .order_by(Case.due_at, Case.id)
        .with_for_update(of=Case, skip_locked=True)
    )
    with transaction():
        cases = list(db.session.scalars(with_catalog(query)))
        for case in cases:
            _flag_breached(case, now)
        system = Actor(principal=SYSTEM, request_id=BREACH_JOB_REQUEST_ID)
        citizens = [case.citizen_id for case in cases if case.citizen_id is not None]
        record_access(system, "case.sla_breached", citizens, fields=["sla"])
    return len(cases)
