"""The steps of a simulated quarter: what happens, when, and to whom; plain data.

Steps refer to each other by ``key`` (a contact's or a case's number in the plan), because
their ids exist only once the writer has written them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CitizenInfo:
    id: uuid.UUID
    prefers_digital: bool


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    department_code: str
    sla_target_days: int


@dataclass(frozen=True)
class Step:
    """Something done at ``at`` (the simulated clock while it is written); ``order`` breaks
    ties in the order the plan drew them."""

    at: datetime
    order: int


@dataclass(frozen=True)
class Contact(Step):
    key: int
    citizen_id: uuid.UUID | None
    department_code: str
    channel: str
    service_code: str | None
    direction: str
    outcome: str
    started_at: datetime
    ended_at: datetime | None
    stage: str | None = None
    ref: str | None = None
    case_key: int | None = None
    summary: str | None = None


@dataclass(frozen=True)
class OpenCase(Step):
    key: int
    citizen_id: uuid.UUID | None
    department_code: str  # who opens it (the case belongs to the service's department)
    service_code: str
    summary: str


@dataclass(frozen=True)
class MoveCase(Step):
    case_key: int
    department_code: str  # the case's own department: only it runs the workflow
    target: str
    reason: str | None = None


@dataclass(frozen=True)
class NoteCase(Step):
    case_key: int
    department_code: str
    text: str


@dataclass(frozen=True)
class GiveConsent(Step):
    citizen_id: uuid.UUID
    contact_key: int
    department_code: str
    channel: str
    purpose: str


@dataclass(frozen=True)
class AnswerSurvey(Step):
    contact_key: int
    department_code: str
    csat: int
    nps: int | None
    effort: int | None
    comment: str | None


@dataclass(frozen=True)
class AnswerInvitation(Step):
    """The citizen answers the survey invitation sent after ``contact_key`` (drawn once the
    invitation exists: whether one is sent is the surveys service's decision)."""

    contact_key: int
    csat: int
    nps: int | None
    effort: int | None
    comment: str | None
