"""A case's life in the simulated quarter: opened in the contact that completed the request,
worked by its department, sometimes waiting for the citizen, chased, resolved within its SLA
target or (about one in five) after it, and closed once the reopen window has passed."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cgcrm.demo import profiles
from cgcrm.demo.moments import days_later, working_days_later
from cgcrm.demo.steps import CitizenInfo, Contact, MoveCase, NoteCase, OpenCase, ServiceInfo

if TYPE_CHECKING:
    from cgcrm.demo.plan import Planner

NOTES = (
    "Inspected on site; crew scheduled.",
    "Checked the record; waiting on the field team.",
    "Spoke with the resident; details confirmed.",
)
# Days after resolution a case is closed: past CASE_REOPEN_WINDOW_DAYS (14 by default).
CLOSE_AFTER_DAYS = 15


def plan_case(
    planner: Planner, citizen: CitizenInfo, service: ServiceInfo, contact: Contact
) -> None:
    """Open a case in ``contact`` (which is linked to it) and plan its workflow."""
    rng, quarter = planner.rng, planner.quarter
    key = planner.next_key()
    opened = contact.started_at + timedelta(seconds=30)
    planner.add(
        OpenCase(
            at=opened,
            order=planner.next_order(),
            key=key,
            citizen_id=citizen.id,
            department_code=contact.department_code,
            service_code=service.code,
            summary=f"{service.code.replace('-', ' ').title()} request",
        )
    )
    planner.replace(contact, dataclasses.replace(contact, case_key=key))
    owner = service.department_code

    def move(at: datetime, target: str, reason: str | None = None) -> None:
        planner.add(MoveCase(at, planner.next_order(), key, owner, target, reason))

    target_days = max(service.sla_target_days, 1)
    breaches = rng.random() < profiles.CASE_BREACHES
    share = rng.uniform(1.15, 2.2) if breaches else rng.uniform(0.15, 0.9)
    resolved = working_days_later(quarter, opened, target_days * share)
    started = opened + min(timedelta(hours=rng.uniform(1, 18)), (resolved - opened) / 3)
    move(started, "in_progress")
    if rng.random() < profiles.CASE_NOTED:
        planner.add(
            NoteCase(
                started + timedelta(minutes=20), planner.next_order(), key, owner, rng.choice(NOTES)
            )
        )
    if rng.random() < profiles.CASE_AWAITS_CITIZEN:
        waiting = started + (resolved - started) / 2
        move(waiting, "awaiting_citizen", "Asked the resident for more details")
        planner.contact(
            citizen,
            service,
            "phone",
            waiting + timedelta(minutes=1),
            "follow_up",
            direction="outbound",
            department_code=owner,
            case_key=key,
        )
        paused = timedelta(days=rng.uniform(1, 3))
        move(waiting + paused, "in_progress", "The resident replied")
        resolved += paused
    if resolved - opened > timedelta(days=3) and rng.random() < profiles.CASE_CHASED:
        chase = days_later(rng, quarter, "phone", opened, 2, 6)
        if chase < resolved:
            planner.contact(
                citizen, service, "phone", chase, "resolved", department_code=owner, case_key=key
            )
    move(resolved, "resolved", "Done")
    move(resolved + timedelta(days=CLOSE_AFTER_DAYS), "closed")
