"""Rollup rows written straight into the tables, for KPI tests whose figures are worked on paper."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.catalog.models import Department, Service
from cgcrm.extensions import db
from cgcrm.metrics.models import NO_SERVICE, CaseDailyRollup, InteractionDailyRollup

STAMP = datetime(2026, 4, 6, tzinfo=UTC)


def _ids() -> tuple[dict[str, Any], dict[str, Any]]:
    departments = {c: i for c, i in db.session.execute(sa.select(Department.code, Department.id))}
    services = {c: i for c, i in db.session.execute(sa.select(Service.code, Service.id))}
    return departments, services


def add_rollups(app: Flask, *rows: tuple[date, str, str, str | None, dict[str, int]]) -> None:
    """Interaction rollup rows: (day, department code, channel, service code or None, counts)."""
    with app.app_context():
        departments, services = _ids()
        for day, department, channel, service, counts in rows:
            service_id = services[service] if service else None
            db.session.add(
                InteractionDailyRollup(
                    day=day,
                    department_id=departments[department],
                    channel_code=channel,
                    service_key=service_id or NO_SERVICE,
                    service_id=service_id,
                    updated_at=STAMP,
                    **counts,
                )
            )
        db.session.commit()
        db.session.remove()


def add_case_rollups(app: Flask, *rows: tuple[date, str, str, int, int]) -> None:
    """Case rollup rows: (day, department code, service code, resolved, within SLA)."""
    with app.app_context():
        departments, services = _ids()
        for day, department, service, resolved, within in rows:
            db.session.add(
                CaseDailyRollup(
                    day=day,
                    department_id=departments[department],
                    service_id=services[service],
                    resolved=resolved,
                    resolved_within_sla=within,
                    updated_at=STAMP,
                )
            )
        db.session.commit()
        db.session.remove()
