"""What every case operation shares: loading a case the caller may see, the transaction,
version and ownership checks, the audit of a citizen's case, and the business calendar.

Who sees a case: its department, everyone when the citizen shares across government, holders of
``cross_department`` (``citizens.sharing``), and, particular to cases, the department that
opened it: a contact centre that opens a rates case for a caller must be able to follow it up
(issue 9). Seeing lets a department read the case, its history and notes, add notes and link
contacts; the workflow and assignment stay with the case's department (``require_owner``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import joinedload

from cgcrm.cases.models import Case, CaseNote, CaseTransition
from cgcrm.catalog.models import Service
from cgcrm.citizens import sharing
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.errors import NotAuthorized, NotFound, PreconditionFailed
from cgcrm.core.ids import new_id
from cgcrm.core.principal import Actor
from cgcrm.core.working_days import WorkingCalendar, calendar_for
from cgcrm.extensions import db


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block staged, or roll all of it back: never a half-written change."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def record_transition(
    actor: Actor, case: Case, source: str | None, target: str, at: datetime, reason: str | None
) -> None:
    """Stage the history row of ``case`` moving from ``source`` (None: opened) to ``target``."""
    db.session.add(
        CaseTransition(
            id=new_id(),
            case_id=case.id,
            from_status=source,
            to_status=target,
            at=at,
            by=actor.principal.ref,
            department_code=actor.principal.department_code,
            reason=reason,
            request_id=actor.request_id,
        )
    )


def calendar() -> WorkingCalendar:
    return calendar_for(current_app)


def reopen_window() -> timedelta:
    return timedelta(days=int(current_app.config["CASE_REOPEN_WINDOW_DAYS"]))


def with_catalog(query: Select[Any]) -> Select[Any]:
    """Load the case's service without the service's unit costs, which cases never show."""
    return query.options(joinedload(Case.service).lazyload(Service.unit_costs))


def citizen_shares(case: Case) -> bool:
    """Whether the case's citizen shares across government (False for anonymous cases)."""
    if case.citizen_id is None:
        return False
    shares = db.session.scalar(
        select(Citizen.shares_across_government).where(Citizen.id == case.citizen_id)
    )
    return bool(shares)


def may_see_case(actor: Actor, case: Case, citizen_shares: bool) -> bool:
    """Whether ``actor`` may see ``case`` (its department's, shared, or opened by the caller's).

    :param citizen_shares: the case's citizen's ``shares_across_government`` (False when
        anonymous).
    """
    own = actor.principal.department_id
    return sharing.may_see(actor, case.department_id, citizen_shares) or (
        own is not None and case.opened_by_department_id == own
    )


def visible_cases_clause(actor: Actor, citizen_shares: Any) -> ColumnElement[bool]:
    """The SQL condition ``may_see_case`` expresses, for lists and counts of cases.

    :param citizen_shares: as ``sharing.visible_clause`` (a joined citizen's column, or a flag).
    """
    visible = sharing.visible_clause(actor, Case.department_id, citizen_shares)
    own = actor.principal.department_id
    if own is None:
        return visible
    return or_(visible, Case.opened_by_department_id == own)


def load_visible(actor: Actor, case_id: uuid.UUID, *, for_update: bool = False) -> Case:
    """The case, if the caller may see it, inside the caller's transaction.

    :param for_update: lock the case row until the transaction ends (writes).
    :raises NotFound: no such case, or another department's that the caller may not see.
    """
    query = with_catalog(select(Case).where(Case.id == case_id))
    if for_update:
        # OF cases: the joined catalog rows must not be locked with it.
        query = query.with_for_update(of=Case)
    case = db.session.scalar(query)
    if case is None or not may_see_case(actor, case, citizen_shares(case)):
        raise NotFound(f"no case with id {case_id}")
    return case


def get_case(actor: Actor, case_id: uuid.UUID) -> Case:
    """The case ``case_id`` if ``actor`` may see it; for other services validating a case id.

    Runs in the caller's transaction: it neither commits nor writes an audit event.

    :raises NotFound: no such case, or another department's that the caller may not see.
    """
    return load_visible(actor, case_id)


def require_owner(actor: Actor, case: Case) -> None:
    """Workflow and assignment belong to the case's department (or a cross-department role);
    other departments that see the case (through the citizen's consent, or because they opened
    it) may only read, note and link contacts.

    :raises NotAuthorized: the caller sees the case but does not own it.
    """
    if case.department_id != actor.principal.department_id and not (
        sharing.sees_every_department(actor)
    ):
        raise NotAuthorized(
            f"only {case.department_code} (or a cross-department role) may change this case"
        )


def require_version(case: Case, expected_version: int) -> None:
    """:raises PreconditionFailed: the case changed since the caller read it."""
    if case.version != expected_version:
        raise PreconditionFailed(
            f"the case changed since version {expected_version}; it is now version "
            f"{case.version}: GET it again and reapply your change",
            current_version=case.version,
        )


def audit(
    actor: Actor,
    case: Case,
    action: str,
    fields: list[str] | None = None,
    reason: str | None = None,
) -> None:
    """Audit a read or change of a citizen's case; anonymous cases have no trail to write."""
    if case.citizen_id is not None:
        record_access(actor, action, [case.citizen_id], fields=fields or ["case"], reason=reason)


CaseRecord = TypeVar("CaseRecord", CaseTransition, CaseNote)


def case_records_page(
    actor: Actor,
    case_id: uuid.UUID,
    record: type[CaseRecord],
    *,
    limit: int,
    after: uuid.UUID | None,
    disclosed: str,
) -> list[CaseRecord]:
    """A page of a visible case's transitions or notes, oldest first; the read is audited.

    :param disclosed: what the audit event says was read (``transitions``, ``notes``).
    :raises NotFound: no such case, or one the caller may not see.
    """
    with transaction():
        case = load_visible(actor, case_id)
        query = select(record).where(record.case_id == case.id).order_by(record.id).limit(limit)
        if after is not None:
            query = query.where(record.id > after)
        records = list(db.session.scalars(query))
        audit(actor, case, f"case.{disclosed}_read", [disclosed])
    return records
