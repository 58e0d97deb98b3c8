"""One simulation: read who and what exists, plan the quarter, write it day by day, and run
the event handlers over each day's events at that day's end."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event, select

from cgcrm.catalog.models import Department, Service
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit_seal import seal_everything
from cgcrm.core.channels import DIGITAL_CHANNELS
from cgcrm.core.clock import utcnow
from cgcrm.demo.answers import invitation_answers
from cgcrm.demo.events import last_event_seq, process_written_events
from cgcrm.demo.moments import Quarter
from cgcrm.demo.plan import plan_quarter
from cgcrm.demo.steps import CitizenInfo, Contact, ServiceInfo, Step
from cgcrm.demo.writer import Tally, Writer, demo_actors
from cgcrm.extensions import db


@dataclass
class Outcome:
    quarter: Quarter
    citizens: int
    tally: Tally
    effects: int  # (event, handler) pairs applied
    sealed: int  # audit events chained


def demo_citizens() -> list[CitizenInfo]:
    """Living, unmerged citizens in a stable order (by name, birth, id): the same seeded data
    gives the same plan."""
    rows = db.session.execute(
        select(Citizen.id, Citizen.preferred_channel)
        .where(Citizen.status == "active", Citizen.date_of_death.is_(None))
        .order_by(Citizen.family_name, Citizen.given_name, Citizen.date_of_birth, Citizen.id)
    ).all()
    db.session.commit()
    return [CitizenInfo(id, channel in DIGITAL_CHANNELS) for id, channel in rows]


def demo_services() -> list[ServiceInfo]:
    rows = db.session.execute(
        select(Service.code, Department.code, Service.sla_target_days)
        .join(Department, Department.id == Service.department_id)
        .order_by(Service.code)
    ).all()
    db.session.commit()
    return [ServiceInfo(code, department, days) for code, department, days in rows]


def quarter_until(days: int, until: datetime | None = None) -> Quarter:
    """The ``days`` local days in ``TIME_ZONE`` ending at ``until`` (default: now)."""
    moment = (until or utcnow()).astimezone(UTC).replace(microsecond=0)
    return Quarter(moment, days, ZoneInfo(current_app.config["TIME_ZONE"]))


def plan(quarter: Quarter, seed: int) -> tuple[list[CitizenInfo], list[Step]]:
    citizens = demo_citizens()
    departments = [code for (code,) in db.session.execute(select(Department.code)).all()]
    db.session.commit()
    return citizens, plan_quarter(quarter, citizens, demo_services(), departments, seed)


# Per engine: what turns waiting for the disk at each commit off for one connection, and on.
_QUICK_COMMITS = {
    "sqlite": ("PRAGMA synchronous = OFF", "PRAGMA synchronous = FULL"),
    "postgresql": ("SET synchronous_commit TO off", "RESET synchronous_commit"),
}


@contextmanager
def _quick_commits() -> Iterator[None]:
    """Commit without waiting for the disk while the demo writes thousands of one-write
    transactions (on SQLite 5 min → about 1 min for 500 citizens). Only the demo's own
    connections, only meanwhile: a crash then may lose the last demo writes, nothing else.
    On PostgreSQL a commit stays atomic and in order; only its flush is deferred."""
    engine = db.engine
    statements = _QUICK_COMMITS.get(engine.dialect.name)
    if statements is None:
        yield
        return
    quick, usual = statements

    def run(dbapi_connection: Any, statement: str) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.commit()  # a SET inside a transaction rolled back later would lapse

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        run(dbapi_connection, quick)

    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        run(dbapi_connection, usual)

    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Hold back a logger's INFO lines: one per notification would drown the summary."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


def simulate(quarter: Quarter, seed: int) -> Outcome:
    """Write the quarter through the services and process its events as the days end.

    :returns: what was written and refused, the handler effects applied and the audit events
        sealed.
    """
    with _quick_commits(), _quiet("cgcrm.notifications"), _quiet("cgcrm.surveys"):
        return _simulate(quarter, seed)


def _simulate(quarter: Quarter, seed: int) -> Outcome:
    citizens, steps = plan(quarter, seed)
    writer = Writer(demo_actors())
    channels = {step.key: step.channel for step in steps if isinstance(step, Contact)}
    # Steps by time; citizens' answers to invitations join as the invitations are sent.
    pending: list[tuple[datetime, int, Step]] = [(step.at, step.order, step) for step in steps]
    heapq.heapify(pending)
    order = max((step.order for step in steps), default=0)
    seq, effects = last_event_seq(), 0
    day = None
    invited_since = quarter.at(quarter.first_day, 0)
    while pending:
        at, _, step = heapq.heappop(pending)
        step_day = quarter.local_day(at)
        if day is not None and step_day != day:
            end_of_day = datetime.combine(day, time(23, 59, 59), tzinfo=quarter.zone)
            seq, applied = process_written_events(seq, end_of_day)
            effects += applied
            answers = invitation_answers(
                invited_since, writer.contact_keys, channels, writer.answered, quarter.until, seed
            )
            for answer in answers:
                order += 1
                heapq.heappush(pending, (answer.at, order, replace(answer, order=order)))
            invited_since = end_of_day
        day = step_day
        writer.write(step)
    seq, applied = process_written_events(seq, quarter.until)
    effects += applied
    # The chain of the audit trail would be sealed by the worker within seconds; doing it here
    # keeps `flask audit verify` clean even before the worker runs.
    sealed = seal_everything()
    return Outcome(quarter, len(citizens), writer.tally, effects, sealed)
