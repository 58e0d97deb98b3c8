"""Rules of the touchpoint log. Each public function is one transaction; none touches Flask."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, exists, insert, or_, select, tuple_

from cgcrm.catalog.codes import DepartmentRef, ServiceRef, catalog_codes
from cgcrm.citizens import sharing
from cgcrm.citizens.consents import ContactEvidence
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, FieldErrors, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import insert_with_event
from cgcrm.core.principal import Actor
from cgcrm.core.time_bounds import contact_moment_problem
from cgcrm.extensions import db
from cgcrm.interactions import case_links
from cgcrm.interactions.models import Interaction, RecordedInteraction

BeforeCommit = Callable[[RecordedInteraction], None]


def _service(code: str) -> ServiceRef:
    service = catalog_codes.service_by_code(code)
    if service is None:
        raise ValidationError(
            f"no service with code {code}", errors={"service_code": ["unknown service"]}
        )
    return service


def _department(actor: Actor, code: str | None, service: ServiceRef | None) -> DepartmentRef:
    """The department that handled the contact: the caller's, unless it may record for others."""
    own_id = actor.principal.department_id
    if code is None:
        department_id = own_id if own_id is not None else service and service.department_id
        department = catalog_codes.department_by_id(department_id) if department_id else None
        if department is None:
            raise ValidationError(
                "department_code is required for a principal without a department",
                errors={"department_code": ["required"]},
            )
        return department
    found = catalog_codes.department_by_code(code)
    if found is None:
        raise ValidationError(
            f"no department with code {code}", errors={"department_code": ["unknown department"]}
        )
    if found.id != own_id and not sharing.sees_every_department(actor):
        raise ValidationError(
            "recording a contact for another department needs the cross_department scope",
            errors={"department_code": ["not your department"]},
        )
    return found


def _check_citizen(citizen_id: uuid.UUID | None) -> None:
    found = db.session.execute(
        select(Citizen.status, Citizen.merged_into_id).where(Citizen.id == citizen_id)
    ).first()
    if found is None:
        raise ValidationError(
            f"no citizen with id {citizen_id}", errors={"citizen_id": ["unknown citizen"]}
        )
    status, merged_into = found
    if status == "merged":
        raise Conflict(
            f"citizen {citizen_id} was merged into {merged_into}; record against that",
            merged_into=str(merged_into),
        )


@cache
def _guarded_insert() -> Insert:
    """INSERT of one contact that writes nothing when its citizen is unknown or merged.

    The contact-centre write path is the busiest of the system; guarding the INSERT spares it
    a separate look-up of the citizen (a round trip and an ORM load) on every call.
    """
    table = Interaction.__table__
    columns = [column.name for column in table.columns]
    citizen_id = bindparam("citizen_id", type_=table.c.citizen_id.type)
    # FOR KEY SHARE (what the foreign key check takes anyway): a merge holding the row waits
    # for this contact and moves it, or this waits for the merge and sees the tombstone.
    citizen_is_current = exists(
        select(Citizen.id)
        .where(Citizen.id == citizen_id, Citizen.status != "merged")
        .with_for_update(read=True, key_share=True)
    )
    values = select(*(bindparam(name, type_=table.c[name].type) for name in columns))
    return (
        insert(table)
        .from_select(columns, values.where(or_(citizen_id.is_(None), citizen_is_current)))
        .returning(table.c.id)
    )


def record_interaction(
    actor: Actor, data: dict[str, Any], before_commit: BeforeCommit | None = None
) -> RecordedInteraction:
    """Log one contact on one channel, with its ``interaction.recorded`` event.

    Recording is not audited separately: the row itself is append-only and names who recorded
    it, when, and in which request.

    :param data: validated ``InteractionCreateSchema`` output.
    :param before_commit: runs inside the transaction (the idempotent response is stored there).
    :raises ValidationError: unknown case, service or department, a time out of bounds: every
        such mistake at once.
    :raises Conflict: the citizen's record was merged into another.
    """
    now = utcnow()
    try:
        errors = FieldErrors()
        for field in ("started_at", "ended_at"):
            moment = data.get(field)
            problem = contact_moment_problem(moment, now) if moment else None
            if problem:
                errors.add(field, problem)
        code = data.get("service_code")
        service = errors.check(lambda: _service(code)) if code else None
        department = errors.check(lambda: _department(actor, data.get("department_code"), service))
        citizen_id = data.get("citizen_id")
        if data.get("case_id") is not None:
            errors.check(lambda: case_links.check_case(actor, data["case_id"], citizen_id))
        errors.raise_if_any()
        row = dict(
            id=new_id(),
            citizen_id=citizen_id,
            case_id=data.get("case_id"),
            channel_code=data["channel"],
            service_id=service.id if service else None,
            department_id=department.id,
            direction=data["direction"],
            outcome=data["outcome"],
            transaction_stage=data.get("transaction_stage"),
            transaction_ref=data.get("transaction_ref"),
            started_at=data["started_at"],
            ended_at=data.get("ended_at"),
            summary=data.get("summary"),
            recorded_by=actor.principal.ref,
            recorded_at=now,
            request_id=actor.request_id,
        )
        interaction = RecordedInteraction(**row)
        written = insert_with_event(
            _guarded_insert(),
            row,
            "interaction.recorded",
            "interaction",
            {
                "interaction_id": str(interaction.id),
                "citizen_id": str(citizen_id) if citizen_id else None,
                "case_id": str(interaction.case_id) if interaction.case_id else None,
                "channel": interaction.channel_code,
                "service_code": service.code if service else None,
                "department_code": department.code,
                "outcome": interaction.outcome,
                "transaction_stage": interaction.transaction_stage,
                "transaction_ref": interaction.transaction_ref,
            },
            # Unless a case check has begun the session's transaction, in which case the
            # write joins it; an idempotent response must commit with the write.
            whole_transaction=before_commit is None,
        )
        if not written:
            _check_citizen(citizen_id)  # says why: unknown or merged
            raise Conflict(f"citizen {citizen_id} changed while recording; try again")
        if before_commit:
            before_commit(interaction)
        if db.session.registry.has():  # else the write committed alone, and no session began
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return interaction


def get_interaction(actor: Actor, interaction_id: uuid.UUID) -> Interaction:
    """One interaction the caller may see; reading a citizen's contact is audited.

    :raises NotFound: no such interaction, or another department's that the caller may not see.
    """
    try:
        row = db.session.execute(
            select(Interaction, Citizen.shares_across_government)
            .outerjoin(Citizen, Citizen.id == Interaction.citizen_id)
            .where(Interaction.id == interaction_id)
        ).first()
        if row is None or not sharing.may_see(actor, row[0].department_id, bool(row[1])):
            raise NotFound(f"no interaction with id {interaction_id}")
        interaction: Interaction = row[0]
        if interaction.citizen_id is not None:
            record_access(actor, "interaction.read", [interaction.citizen_id])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return interaction


def list_interactions(
    actor: Actor,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    citizen_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    service_code: str | None = None,
    channel: str | None = None,
    department_code: str | None = None,
    started_from: datetime | None = None,
    started_before: datetime | None = None,
) -> list[Interaction]:
    """A page of the interactions the caller may see, latest contact first.

    Another department's contacts are left out unless the citizen shares across government or
    the caller holds ``cross_department``. Every citizen on the page is audited as disclosed.
    """
    query = (
        select(Interaction)
        .outerjoin(Citizen, Citizen.id == Interaction.citizen_id)
        .where(
            sharing.visible_clause(
                actor, Interaction.department_id, Citizen.shares_across_government
            )
        )
        .order_by(Interaction.started_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Interaction.started_at, Interaction.id) < after)
    if citizen_id is not None:
        query = query.where(Interaction.citizen_id == citizen_id)
    if case_id is not None:
        query = query.where(Interaction.case_id == case_id)
    if channel is not None:
        query = query.where(Interaction.channel_code == channel)
    if service_code is not None:
        service = catalog_codes.service_by_code(service_code)
        if service is None:
            return []
        query = query.where(Interaction.service_id == service.id)
    if department_code is not None:
        department = catalog_codes.department_by_code(department_code)
        if department is None:
            return []
        query = query.where(Interaction.department_id == department.id)
    if started_from is not None:
        query = query.where(Interaction.started_at >= started_from)
    if started_before is not None:
        query = query.where(Interaction.started_at < started_before)
    try:
        interactions = list(db.session.scalars(query))
        citizens = [i.citizen_id for i in interactions if i.citizen_id is not None]
        record_access(actor, "interaction.listed", citizens)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return interactions


def contact_evidence(interaction_id: uuid.UUID) -> ContactEvidence | None:
    """What the citizen record needs to know of a contact named as the moment a consent was
    given (registered with ``cgcrm.citizens.consents`` by ``create_app``); None when unknown.

    Reads in the caller's transaction and does not audit: the caller decides what it discloses.
    """
    row = db.session.execute(
        select(
            Interaction.id,
            Interaction.citizen_id,
            Interaction.department_id,
            Interaction.channel_code,
            Interaction.outcome,
            Interaction.started_at,
            Interaction.ended_at,
        ).where(Interaction.id == interaction_id)
    ).first()
    return ContactEvidence(*row) if row is not None else None
