"""Opening, reading, listing and changing cases (priority, summary, assignment)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from cgcrm.cases import reference
from cgcrm.cases.models import Case
from cgcrm.cases.service.access import (
    audit,
    calendar,
    load_visible,
    record_transition,
    require_owner,
    require_version,
    transaction,
    visible_cases_clause,
    with_catalog,
)
from cgcrm.cases.workflow import OPEN_STATUSES
from cgcrm.catalog.models import Department, Service
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, FieldErrors, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.identity.references import staff_user_problem

BeforeCommit = Callable[[Case], None]
# A reference clash is a 1-in-34-billion event per existing case; a few tries always suffice.
REFERENCE_ATTEMPTS = 5
ASSIGNMENT_FIELDS = ("assigned_team", "assigned_user_id")
CHANGEABLE_FIELDS = ("summary", "priority", *ASSIGNMENT_FIELDS)


def _service(code: str) -> Service:
    service = db.session.scalar(
        select(Service).where(Service.code == code).options(lazyload(Service.unit_costs))
    )
    if service is None:
        raise ValidationError(
            f"no service with code {code}", errors={"service_code": ["unknown service"]}
        )
    return service


def _check_citizen(citizen_id: uuid.UUID) -> None:
    # FOR KEY SHARE: a merge of this citizen waits for the case (and moves it), or the case
    # waits for the merge and is refused here, never left on a tombstone.
    row = db.session.execute(
        select(Citizen.status, Citizen.merged_into_id)
        .where(Citizen.id == citizen_id)
        .with_for_update(read=True, key_share=True)
    ).first()
    if row is None:
        raise ValidationError(
            f"no citizen with id {citizen_id}", errors={"citizen_id": ["unknown citizen"]}
        )
    if row.status == "merged":
        raise Conflict(
            f"citizen {citizen_id} was merged into {row.merged_into_id}; use that one",
            merged_into=str(row.merged_into_id),
        )


def _check_assignee(user_id: uuid.UUID | None) -> None:
    if user_id is None:
        return
    problem = staff_user_problem(user_id)
    if problem:
        raise ValidationError(
            f"no active staff user with id {user_id}", errors={"assigned_user_id": [problem]}
        )


def _assigned_event(case: Case) -> None:
    add_event(
        "case.assigned",
        "case",
        case.id,
        {
            "case_id": str(case.id),
            "department_code": case.department_code,
            "assigned_team": case.assigned_team,
            "assigned_user_id": str(case.assigned_user_id) if case.assigned_user_id else None,
            "version": case.version,
        },
    )


def _is_reference_clash(exc: IntegrityError) -> bool:
    message = str(exc.orig)
    return "uq_cases_reference" in message or "cases.reference" in message


def _insert_case(actor: Actor, data: dict[str, Any], case_reference: str) -> Case:
    errors = FieldErrors()
    service = errors.check(lambda: _service(data["service_code"]))
    if data.get("citizen_id") is not None:
        errors.check(lambda: _check_citizen(data["citizen_id"]))
    errors.check(lambda: _check_assignee(data.get("assigned_user_id")))
    errors.raise_if_any()
    now = utcnow()
    case = Case(
        id=new_id(),
        reference=case_reference,
        service=service,
        service_id=service.id,
        department=service.department,
        department_id=service.department_id,
        citizen_id=data.get("citizen_id"),
        summary=data["summary"],
        priority=data.get("priority") or "normal",
        status="new",
        assigned_team=data.get("assigned_team"),
        assigned_user_id=data.get("assigned_user_id"),
        opened_at=now,
        opened_by=actor.principal.ref,
        opened_by_department_id=actor.principal.department_id,
        due_at=calendar().due_at(now, service.sla_target_days),
        sla_paused_seconds=0,
        version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    db.session.flush()  # a reference clash surfaces here, before anything else is staged
    record_transition(actor, case, None, "new", now, None)
    add_event(
        "case.opened",
        "case",
        case.id,
        {
            "case_id": str(case.id),
            "reference": case.reference,
            "citizen_id": str(case.citizen_id) if case.citizen_id else None,
            "service_code": service.code,
            "department_code": case.department_code,
            "priority": case.priority,
            "due_at": case.due_at.isoformat(),
        },
    )
    if case.assigned_team or case.assigned_user_id:
        _assigned_event(case)
    audit(actor, case, "case.opened", sorted(data))
    return case


def open_case(
    actor: Actor,
    data: dict[str, Any],
    before_commit: BeforeCommit | None = None,
    *,
    new_reference: Callable[[], str] = reference.new_reference,
) -> Case:
    """Open a case against a service; it belongs to the service's department and is due
    ``sla_target_days`` working days after today (see ``WorkingCalendar.due_at``).

    :param data: validated ``CaseCreateSchema`` output.
    :param before_commit: runs inside the transaction (the idempotent response is stored there).
    :param new_reference: source of references; a clash with an existing one is retried.
    :raises ValidationError: unknown service, citizen or staff user.
    :raises Conflict: the citizen's record was merged into another.
    """
    for attempt in range(REFERENCE_ATTEMPTS):
        try:
            with transaction():
                case = _insert_case(actor, data, new_reference())
                if before_commit:
                    before_commit(case)
            return case
        except IntegrityError as exc:
            if not _is_reference_clash(exc) or attempt == REFERENCE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def read_case(actor: Actor, case_id: uuid.UUID, reason: str | None = None) -> Case:
    """Read one case; reading a citizen's case is audited.

    :param reason: the purpose the caller declared (``X-Access-Reason``), kept in the audit.
    :raises NotFound: no such case, or another department's the caller may not see.
    """
    with transaction():
        case = load_visible(actor, case_id)
        audit(actor, case, "case.read", reason=reason)
    return case


def breached_clause(now: datetime) -> ColumnElement[bool]:
    """Flagged as breached, or open, running and past due at ``now`` (not yet flagged)."""
    return or_(
        Case.sla_breached_at.is_not(None),
        and_(Case.status.in_(OPEN_STATUSES), Case.sla_paused_at.is_(None), Case.due_at < now),
        and_(Case.resolved_at.is_not(None), Case.resolved_at > Case.due_at),
    )


def list_cases(
    actor: Actor,
    *,
    limit: int,
    after: uuid.UUID | None = None,
    reference: str | None = None,
    citizen_id: uuid.UUID | None = None,
    status: str | None = None,
    priority: str | None = None,
    service_code: str | None = None,
    department_code: str | None = None,
    assigned_team: str | None = None,
    assigned_user_id: uuid.UUID | None = None,
    breached: bool | None = None,
    open_: bool | None = None,
) -> list[Case]:
    """A page of the cases the caller may see, oldest first, with optional filters.

    Another department's cases are left out unless the citizen shares across government, the
    caller holds ``cross_department`` or the caller's department opened them; anonymous cases
    stay with their department and their opener. Every
    citizen on the page is audited as disclosed.

    :param reference: canonical ``C-XXXX-XXXX`` (``reference.normalise``).
    :param breached: see ``breached_clause``; False for the complement.
    :param open_: True for new, in progress or awaiting citizen; False for resolved or closed.
    """
    query = (
        select(Case)
        .outerjoin(Citizen, Citizen.id == Case.citizen_id)
        .where(visible_cases_clause(actor, Citizen.shares_across_government))
        .order_by(Case.id)
        .limit(limit)
    )
    conditions: list[ColumnElement[bool]] = []
    if after is not None:
        conditions.append(Case.id > after)
    if reference is not None:
        conditions.append(Case.reference == reference)
    if citizen_id is not None:
        conditions.append(Case.citizen_id == citizen_id)
    if status is not None:
        conditions.append(Case.status == status)
    if priority is not None:
        conditions.append(Case.priority == priority)
    if service_code is not None:
        conditions.append(
            Case.service_id.in_(select(Service.id).where(Service.code == service_code))
        )
    if department_code is not None:
        conditions.append(
            Case.department_id.in_(select(Department.id).where(Department.code == department_code))
        )
    if assigned_team is not None:
        conditions.append(Case.assigned_team == assigned_team)
    if assigned_user_id is not None:
        conditions.append(Case.assigned_user_id == assigned_user_id)
    if breached is not None:
        clause = breached_clause(utcnow())
        conditions.append(clause if breached else not_(clause))
    if open_ is not None:
        is_open = Case.status.in_(OPEN_STATUSES)
        conditions.append(is_open if open_ else not_(is_open))
    with transaction():
        cases = list(db.session.scalars(with_catalog(query.where(*conditions))))
        citizens = [case.citizen_id for case in cases if case.citizen_id is not None]
        record_access(actor, "case.listed", citizens, fields=["case"])
    return cases


def update_case(
    actor: Actor, case_id: uuid.UUID, expected_version: int, changes: dict[str, Any]
) -> Case:
    """Change a case's priority, summary or assignment, if nobody changed it since
    ``expected_version``. Fields given with their current value are not changes.

    :param changes: validated ``CasePatchSchema`` output.
    :raises NotFound: no such case, or one the caller may not see.
    :raises NotAuthorized: the caller sees the case but is not of its department.
    :raises PreconditionFailed: the case changed since the caller read it.
    :raises ValidationError: unknown staff user, or a required field set to null.
    """
    with transaction():
        case = load_visible(actor, case_id, for_update=True)
        require_owner(actor, case)
        require_version(case, expected_version)
        for field in ("summary", "priority"):
            if field in changes and changes[field] is None:
                raise ValidationError(f"{field} cannot be removed", errors={field: ["null"]})
        changed = sorted(
            field
            for field in CHANGEABLE_FIELDS
            if field in changes and changes[field] != getattr(case, field)
        )
        if not changed:
            return case  # nothing to change: no new version, no event
        if "assigned_user_id" in changed:
            _check_assignee(changes["assigned_user_id"])
        for field in changed:
            setattr(case, field, changes[field])
        case.version += 1
        case.updated_at = utcnow()
        if set(changed) & set(ASSIGNMENT_FIELDS):
            _assigned_event(case)
        other = [field for field in changed if field not in ASSIGNMENT_FIELDS]
        if other:
            add_event(
                "case.updated",
                "case",
                case.id,
                {"case_id": str(case.id), "fields": other, "version": case.version},
            )
        audit(actor, case, "case.updated", changed)
    return case
