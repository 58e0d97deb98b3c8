"""Catalog endpoints: readable by every principal, writable with the admin scope."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from cgcrm.catalog import service
from cgcrm.catalog.schemas import (
    ChannelSchema,
    DepartmentPatchSchema,
    DepartmentSchema,
    ServicePatchSchema,
    ServiceQuerySchema,
    ServiceSchema,
)
from cgcrm.core import scopes
from cgcrm.core.access import requires
from cgcrm.core.http import etag_for, required_version
from cgcrm.core.openapi import Blueprint
from cgcrm.core.pagination import decode_cursor, next_link, page_limit

blp = Blueprint(
    "catalog", __name__, url_prefix="/api/v1", description="Departments, channels and services."
)


def _paged(items: list[Any], size: int) -> tuple[list[Any], dict[str, str]]:
    link = next_link(items, size)
    return items, ({"Link": link} if link else {})


@blp.route("/channels")
class ChannelsView(MethodView):
    @requires()
    @blp.response(200, ChannelSchema(many=True))
    def get(self) -> Any:
        """The channels citizens use, digital and assisted."""
        return service.list_channels()


@blp.route("/departments")
class DepartmentsView(MethodView):
    @requires()
    @blp.arguments(ServiceQuerySchema(only=("cursor", "limit")), location="query", as_kwargs=True)
    @blp.response(200, DepartmentSchema(many=True))
    def get(self, cursor: str | None = None, limit: int | None = None) -> Any:
        """List departments."""
        size = page_limit(limit)
        return _paged(
            service.list_departments(limit=size, after=decode_cursor(cursor, uuid.UUID)), size
        )

    @requires(scopes.ADMIN)
    @blp.arguments(DepartmentSchema)
    @blp.response(201, DepartmentSchema)
    @blp.alt_response(409, description="A department with this code exists.")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a department."""
        department = service.create_department(data)
        return department, {"ETag": etag_for(department.version)}


@blp.route("/departments/<uuid:department_id>")
class DepartmentView(MethodView):
    @requires()
    @blp.response(200, DepartmentSchema)
    def get(self, department_id: uuid.UUID) -> Any:
        """Read a department."""
        department = service.get_department(department_id)
        return department, {"ETag": etag_for(department.version)}

    @requires(scopes.ADMIN)
    @blp.arguments(DepartmentPatchSchema)
    @blp.response(200, DepartmentSchema)
    def patch(self, changes: dict[str, Any], department_id: uuid.UUID) -> Any:
        """Rename a department; requires If-Match."""
        department = service.update_department(department_id, required_version(), changes)
        return department, {"ETag": etag_for(department.version)}


@blp.route("/services")
class ServicesView(MethodView):
    @requires()
    @blp.arguments(ServiceQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ServiceSchema(many=True))
    def get(
        self, cursor: str | None = None, limit: int | None = None, department: str | None = None
    ) -> Any:
        """List services, optionally of one department."""
        size = page_limit(limit)
        items = service.list_services(
            limit=size, after=decode_cursor(cursor, uuid.UUID), department=department
        )
        return _paged(items, size)

    @requires(scopes.ADMIN)
    @blp.arguments(ServiceSchema)
    @blp.response(201, ServiceSchema)
    @blp.alt_response(409, description="A service with this code exists.")
    def post(self, data: dict[str, Any]) -> Any:
        """Add a service to the catalog."""
        created = service.create_service(data)
        return created, {"ETag": etag_for(created.version)}


@blp.route("/services/<uuid:service_id>")
class ServiceView(MethodView):
    @requires()
    @blp.response(200, ServiceSchema)
    def get(self, service_id: uuid.UUID) -> Any:
        """Read a service with its SLA target, fee and unit costs per channel."""
        found = service.get_service(service_id)
        return found, {"ETag": etag_for(found.version)}

    @requires(scopes.ADMIN)
    @blp.arguments(ServicePatchSchema)
    @blp.response(200, ServiceSchema)
    def patch(self, changes: dict[str, Any], service_id: uuid.UUID) -> Any:
        """Change a service; requires If-Match."""
        updated = service.update_service(service_id, required_version(), changes)
        return updated, {"ETag": etag_for(updated.version)}
