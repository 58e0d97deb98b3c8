"""Loading the catalog from YAML (config/seed/catalog.yaml). Re-running adds only what is new."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from cgcrm.catalog.models import Channel, Department, IdentifierSystem, Service
from cgcrm.catalog.schemas import (
    ChannelSchema,
    DepartmentSchema,
    IdentifierSystemSchema,
    ServiceSchema,
)
from cgcrm.catalog.service import create_department, create_service, declare_identifier_system
from cgcrm.extensions import db


def load_catalog(path: Path) -> dict[str, int]:
    """Create the departments, channels, services and identifier systems of ``path`` that
    don't exist yet.

    Existing rows are left as they are: once live, the catalog is changed through the API.

    :returns: how many of each were added.
    """
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    added = {"departments": 0, "channels": 0, "services": 0, "identifier_systems": 0}
    existing_channels = set(db.session.scalars(select(Channel.code)))
    for item in ChannelSchema(many=True).load(data.get("channels", [])):
        if item["code"] not in existing_channels:
            db.session.add(Channel(**item))
            added["channels"] += 1
    db.session.commit()
    departments = set(db.session.scalars(select(Department.code)))
    for item in DepartmentSchema(many=True).load(data.get("departments", [])):
        if item["code"] not in departments:
            create_department(item)
            added["departments"] += 1
    services = set(db.session.scalars(select(Service.code)))
    for item in ServiceSchema(many=True).load(data.get("services", [])):
        if item["code"] not in services:
            create_service(item)
            added["services"] += 1
    systems = set(db.session.scalars(select(IdentifierSystem.code)))
    for item in IdentifierSystemSchema(many=True).load(data.get("identifier_systems", [])):
        if item["code"] not in systems:
            declare_identifier_system(item)
            added["identifier_systems"] += 1
    return added
