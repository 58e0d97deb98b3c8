"""Catalog rules: codes are unique, costs are per known channel, changes are versioned."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from cgcrm.catalog.models import (
    DEFAULT_SURVEY_SAMPLING_RATE,
    Channel,
    Department,
    IdentifierSystem,
    Service,
    ServiceChannelCost,
)
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from cgcrm.core.outbox import add_event
from cgcrm.extensions import db


def list_channels() -> list[Channel]:
    """All channels, digital first."""
    return list(db.session.scalars(select(Channel).order_by(Channel.kind.desc(), Channel.code)))


def list_departments(*, limit: int, after: uuid.UUID | None = None) -> list[Department]:
    """A page of departments in creation order."""
    query = select(Department).order_by(Department.id).limit(limit)
    if after is not None:
        query = query.where(Department.id > after)
    return list(db.session.scalars(query))


def get_department(department_id: uuid.UUID) -> Department:
    """:raises NotFound: no such department."""
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound(f"no department with id {department_id}")
    return department


def create_department(data: dict[str, Any]) -> Department:
    """:raises Conflict: the code is taken."""
    if db.session.scalar(select(Department.id).where(Department.code == data["code"])):
        raise Conflict(f"department {data['code']} exists")
    department = Department(code=data["code"], name=data["name"], version=1)
    db.session.add(department)
    db.session.flush()
    add_event("department.created", "department", department.id, {"code": department.code})
    db.session.commit()
    return department


def update_department(
    department_id: uuid.UUID, expected_version: int, changes: dict[str, Any]
) -> Department:
    """:raises NotFound, PreconditionFailed: as for every versioned resource."""
    department = db.session.scalar(
        select(Department).where(Department.id == department_id).with_for_update()
    )
    if department is None:
        raise NotFound(f"no department with id {department_id}")
    _check_version(department.version, expected_version)
    for name, value in changes.items():
        setattr(department, name, value)
    department.version += 1
    department.updated_at = utcnow()
    add_event("department.updated", "department", department.id, {"fields": sorted(changes)})
    db.session.commit()
    return department


def _check_version(current: int, expected: int) -> None:
    if current != expected:
        db.session.rollback()
        raise PreconditionFailed(
            f"changed since version {expected}; now version {current}", current_version=current
        )


def _department_by_code(code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise ValidationError(f"no department {code}", errors={"department": ["unknown"]})
    return department


def _costs(costs: dict[str, int]) -> list[ServiceChannelCost]:
    return [
        ServiceChannelCost(channel_code=code, unit_cost_minor=value)
        for code, value in sorted(costs.items())
    ]


def list_services(
    *, limit: int, after: uuid.UUID | None = None, department: str | None = None
) -> list[Service]:
    """A page of services in creation order, optionally of one department (by code)."""
    query = select(Service).order_by(Service.id).limit(limit)
    if after is not None:
        query = query.where(Service.id > after)
    if department:
        query = query.join(Department).where(Department.code == department)
    return list(db.session.scalars(query))


def get_service(service_id: uuid.UUID) -> Service:
    """:raises NotFound: no such service."""
    service = db.session.get(Service, service_id)
    if service is None:
        raise NotFound(f"no service with id {service_id}")
    return service


def create_service(data: dict[str, Any]) -> Service:
    """:raises Conflict: the code is taken. :raises ValidationError: unknown department."""
    if db.session.scalar(select(Service.id).where(Service.code == data["code"])):
        raise Conflict(f"service {data['code']} exists")
    now = utcnow()
    service = Service(
        code=data["code"],
        name=data["name"],
        description=data.get("description", ""),
        department=_department_by_code(data["department_code"]),
        sla_target_days=data["sla_target_days"],
        fee_minor=data.get("fee_minor", 0),
        currency=data.get("currency", "AUD"),
        unit_costs=_costs(data.get("unit_costs_minor", {})),
        survey_sampling_rate=data.get("survey_sampling_rate", DEFAULT_SURVEY_SAMPLING_RATE),
        version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(service)
    db.session.flush()
    add_event("service.created", "service", service.id, {"code": service.code})
    db.session.commit()
    return service


def update_service(
    service_id: uuid.UUID, expected_version: int, changes: dict[str, Any]
) -> Service:
    """:raises NotFound, PreconditionFailed: as for every versioned resource."""
    service = db.session.scalar(
        select(Service).where(Service.id == service_id).with_for_update(of=Service)
    )
    if service is None:
        raise NotFound(f"no service with id {service_id}")
    _check_version(service.version, expected_version)
    for name, value in changes.items():
        if name == "unit_costs_minor":
            service.unit_costs = []
            db.session.flush()
            service.unit_costs = _costs(value)
        else:
            setattr(service, name, value)
    service.version += 1
    service.updated_at = utcnow()
    add_event("service.updated", "service", service.id, {"fields": sorted(changes)})
    db.session.commit()
    return service


def declare_identifier_system(data: dict[str, Any]) -> IdentifierSystem:
    """Declare an external identifier system and the department that owns it.

    :param data: validated ``IdentifierSystemSchema`` output.
    :raises Conflict: the system is declared already (ownership never changes).
    :raises ValidationError: unknown department.
    """
    if db.session.get(IdentifierSystem, data["code"]) is not None:
        raise Conflict(f"identifier system {data['code']} exists")
    system = IdentifierSystem(
        code=data["code"],
        name=data["name"],
        department_id=_department_by_code(data["department"]).id,
    )
    db.session.add(system)
    db.session.commit()
    return system
