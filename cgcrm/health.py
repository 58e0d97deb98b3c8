"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cgcrm.extensions import db
from cgcrm.worker.periodic import periodic_status

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


def _periodic(checks: dict[str, str]) -> list[dict[str, Any]]:
    """When each periodic job last succeeded, and which are overdue.

    Shown, not judged: an API process is ready to serve even while no worker runs the periodic
    jobs, so an overdue job does not turn readiness off (the admin jobs view has the detail).
    """
    if checks.get("redis") != "ok":
        return []
    try:
        runs = periodic_status(current_app)
    except (RedisError, OSError):
        return []
    return [
        {
            "name": run["name"],
            "last_succeeded_at": (
                run["last_succeeded_at"].isoformat() if run["last_succeeded_at"] else None
            ),
            "overdue": run["overdue"],
        }
        for run in runs
    ]


@blp.get("/readyz")
def readyz() -> Any:
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        current_app.extensions["cgcrm.redis"].ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    response = jsonify(
        status="ready" if ready else "unavailable", checks=checks, periodic=_periodic(checks)
    )
    response.status_code = 200 if ready else 503
    return response


_STATUS = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "ready", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": True},
    },
    "required": ["status"],
    "additionalProperties": True,
}


def _probe(operation_id: str, summary: str, statuses: dict[str, str]) -> dict[str, Any]:
    responses = {
        status: {
            "description": description,
            "headers": {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}},
            "content": {"application/json": {"schema": _STATUS}},
        }
        for status, description in statuses.items()
    }
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["health"],
            "security": [],
            "responses": responses,
        }
    }


OPENAPI_PATHS = {
    "/healthz": _probe("getLiveness", "Liveness: the process serves requests.", {"200": "Alive."}),
    "/readyz": _probe(
        "getReadiness",
        "Readiness: the database and Redis answer.",
        {"200": "Ready.", "503": "Not ready; `checks` says what is unavailable."},
    ),
}
