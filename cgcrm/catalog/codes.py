"""The catalog's identities (id, code, owning department), cached for the life of the process.

A service's or department's id, code and a service's department never change once created (the
PATCH schemas do not accept them), so what is cached is never stale: a code this process has not
seen is looked up again, which also finds rows other processes created since. Everything else
about a service (name, SLA target, fees) is read from the database where it is used.

Hot paths (recording a contact, naming the service of every listed contact) resolve codes here
instead of querying or joining the catalog tables on every request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from sqlalchemy import select

from cgcrm.catalog.models import Department, IdentifierSystem, Service
from cgcrm.extensions import db


class ServiceRef(NamedTuple):
    id: uuid.UUID
    code: str
    department_id: uuid.UUID


class DepartmentRef(NamedTuple):
    id: uuid.UUID
    code: str


# An identifier system nobody declared is asked for on every serialised citizen that holds one;
# the table is read again for such a miss at most this often.
SYSTEM_MISS_RELOAD_SECONDS = 30.0

Key = TypeVar("Key", str, uuid.UUID)
Ref = TypeVar("Ref", ServiceRef, DepartmentRef)


class _CatalogCodes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._services_by_code: dict[str, ServiceRef] = {}
            self._services_by_id: dict[uuid.UUID, ServiceRef] = {}
            self._departments_by_code: dict[str, DepartmentRef] = {}
            self._departments_by_id: dict[uuid.UUID, DepartmentRef] = {}
            self._system_owners: dict[str, uuid.UUID] = {}
            self._system_owners_read_at = float("-inf")

    def reload(self) -> None:
        """Read every service and department (the catalog is tens of rows, not thousands)."""
        services = [
            ServiceRef(*row)
            for row in db.session.execute(select(Service.id, Service.code, Service.department_id))
        ]
        departments = [
            DepartmentRef(*row)
            for row in db.session.execute(select(Department.id, Department.code))
        ]
        with self._lock:
            self._services_by_code = {s.code: s for s in services}
            self._services_by_id = {s.id: s for s in services}
            self._departments_by_code = {d.code: d for d in departments}
            self._departments_by_id = {d.id: d for d in departments}

    def _find(self, index: Callable[[], dict[Key, Ref]], key: Key) -> Ref | None:
        # ``index`` is read again after a reload, which replaces the dictionaries.
        if key not in index():
            self.reload()
        return index().get(key)

    def identifier_system_owner(self, system: str) -> uuid.UUID | None:
        """The id of the department that owns identifier ``system``, or None if undeclared."""
        owner = self._system_owners.get(system)
        if owner is None and time.monotonic() - self._system_owners_read_at >= (
            SYSTEM_MISS_RELOAD_SECONDS
        ):
            owners = dict(
                db.session.execute(select(IdentifierSystem.code, IdentifierSystem.department_id))
                .tuples()
                .all()
            )
            with self._lock:
                self._system_owners = owners
                self._system_owners_read_at = time.monotonic()
            owner = owners.get(system)
        return owner

    def service_by_code(self, code: str) -> ServiceRef | None:
        return self._find(lambda: self._services_by_code, code)

    def service_by_id(self, service_id: uuid.UUID) -> ServiceRef | None:
        return self._find(lambda: self._services_by_id, service_id)

    def department_by_code(self, code: str) -> DepartmentRef | None:
        return self._find(lambda: self._departments_by_code, code)

    def department_by_id(self, department_id: uuid.UUID) -> DepartmentRef | None:
        return self._find(lambda: self._departments_by_id, department_id)


catalog_codes = _CatalogCodes()
