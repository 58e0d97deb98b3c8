"""What several journey pages show beside their form: who the citizen is, the services."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, url_for
from werkzeug.routing import BuildError

from cgcrm.console.api import api


def citizen_heading(citizen_id: uuid.UUID | str) -> dict[str, Any]:
    """The citizen a page is about, as its caption shows them: id, name, date of birth."""
    record = api().get(f"/api/v1/citizens/{citizen_id}")
    names = [record.get("given_name"), record.get("family_name")]
    return {
        "id": str(record["id"]),
        "name": " ".join(n for n in names if n) or "Name not recorded",
        "date_of_birth": record.get("date_of_birth"),
        "status": record.get("status"),
        "merged_into": record.get("merged_into"),
        "url": citizen_url(record["id"]),
    }


def citizen_url(citizen_id: uuid.UUID | str) -> str:
    """The citizen's 360 view (helper 5's page; its path when that page is not registered)."""
    try:
        return url_for("console.citizen", citizen_id=citizen_id)
    except BuildError:
        return f"{url_for('console.home')}citizens/{citizen_id}"


def services() -> list[dict[str, Any]]:
    """Every service of the catalog, by name (read once per request)."""
    found = g.get("console_services")
    if found is None:
        found = api().get("/api/v1/services", params={"limit": 200})
        found.sort(key=lambda s: (s.get("name") or "", s.get("code") or ""))
        g.console_services = found
    return list(found)


def service_by_code(code: str) -> dict[str, Any] | None:
    return next((s for s in services() if s.get("code") == code), None)
