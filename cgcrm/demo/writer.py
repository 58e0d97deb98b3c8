"""Writes a plan's steps through the service layer, each with the clock set to its moment.

Every write goes through the same service function a request would call (contacts, cases and
their workflow, consents, satisfaction answers given to staff or through an invitation's link),
so the rows, audit entries and outbox events are those of real use. The demo acts as one
client, ``DEMO_PRINCIPAL_ID``, in each department it needs; its rows are recognised by it
(``recorded_by``).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select

from cgcrm.cases import service as cases
from cgcrm.catalog.models import Department
from cgcrm.citizens.service import record_consent
from cgcrm.core import scopes
from cgcrm.core.clock import clock_set_to
from cgcrm.core.errors import DomainError
from cgcrm.core.principal import Actor, Principal
from cgcrm.demo.steps import (
    AnswerInvitation,
    AnswerSurvey,
    Contact,
    GiveConsent,
    MoveCase,
    NoteCase,
    OpenCase,
    Step,
)
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.interactions.service import record_interaction
from cgcrm.surveys.service import record_staff_response, record_token_response
from cgcrm.surveys.tokens import issue_token

log = logging.getLogger(__name__)

DEMO_PRINCIPAL_ID = "demo-simulator"
DEMO_REQUEST_ID = "demo-simulate"
DEMO_SCOPES = frozenset(
    {
        scopes.CITIZENS_READ,
        scopes.CITIZENS_WRITE,
        scopes.INTERACTIONS_WRITE,
        scopes.CASES_WRITE,
        scopes.CONSENTS_RECORD,
    }
)


def demo_activity_exists() -> bool:
    """Whether a simulation already wrote contacts to this database."""
    ref = f"client:{DEMO_PRINCIPAL_ID}"
    return bool(db.session.scalar(select(exists().where(Interaction.recorded_by == ref))))


def demo_actors() -> dict[str, Actor]:
    """The demo client in each department of the catalog, by department code."""
    departments = db.session.execute(select(Department.id, Department.code)).all()
    db.session.commit()
    return {
        code: Actor(
            Principal("client", DEMO_PRINCIPAL_ID, department_id, code, DEMO_SCOPES),
            DEMO_REQUEST_ID,
        )
        for department_id, code in departments
    }


@dataclass
class Tally:
    """What was written, and what a service refused (by step kind and problem title)."""

    written: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


class Writer:
    def __init__(self, actors: dict[str, Actor]) -> None:
        self.actors = actors
        self.contacts: dict[int, uuid.UUID] = {}
        self.contact_keys: dict[uuid.UUID, int] = {}
        self.answered: set[int] = set()  # contacts with a satisfaction response
        self.cases: dict[int, tuple[uuid.UUID, int]] = {}  # key → (id, version)
        self.tally = Tally()
        self._handlers: dict[type[Step], Callable[[Any], None]] = {
            Contact: self._contact,
            OpenCase: self._open_case,
            MoveCase: self._move_case,
            NoteCase: self._note,
            GiveConsent: self._consent,
            AnswerSurvey: self._answer,
            AnswerInvitation: self._answer_link,
        }

    def write(self, step: Step) -> None:
        """Write one step at its moment; a refusal is counted, logged and skipped (with it,
        the steps that depend on it)."""
        kind = type(step).__name__
        try:
            with clock_set_to(step.at):
                self._handlers[type(step)](step)
        except _Skipped:
            self.tally.refused[f"{kind}: depends on a refused step"] += 1
            return
        except DomainError as exc:
            self.tally.refused[f"{kind}: {exc.title}"] += 1
            log.debug("demo step %s refused: %s", step, exc.detail)
            return
        self.tally.written[kind] += 1

    def _actor(self, department_code: str) -> Actor:
        return self.actors[department_code]

    def _contact(self, step: Contact) -> None:
        case = self.cases.get(step.case_key) if step.case_key is not None else None
        recorded = record_interaction(
            self._actor(step.department_code),
            {
                "citizen_id": step.citizen_id,
                "case_id": case[0] if case else None,
                "channel": step.channel,
                "service_code": step.service_code,
                "department_code": None,
                "direction": step.direction,
                "started_at": step.started_at,
                "ended_at": step.ended_at,
                "outcome": step.outcome,
                "transaction_stage": step.stage,
                "transaction_ref": step.ref,
                "summary": step.summary,
            },
        )
        self.contacts[step.key] = recorded.id
        self.contact_keys[recorded.id] = step.key

    def _open_case(self, step: OpenCase) -> None:
        case = cases.open_case(
            self._actor(step.department_code),
            {
                "service_code": step.service_code,
                "citizen_id": step.citizen_id,
                "summary": step.summary,
                "priority": "normal",
            },
        )
        self.cases[step.key] = (case.id, case.version)

    def _case(self, key: int) -> tuple[uuid.UUID, int]:
        if key not in self.cases:
            raise _Skipped
        return self.cases[key]

    def _move_case(self, step: MoveCase) -> None:
        case_id, version = self._case(step.case_key)
        case = cases.transition_case(
            self._actor(step.department_code), case_id, version, step.target, step.reason
        )
        self.cases[step.case_key] = (case.id, case.version)

    def _note(self, step: NoteCase) -> None:
        case_id, _ = self._case(step.case_key)
        cases.add_note(self._actor(step.department_code), case_id, step.text)

    def _contact_id(self, key: int) -> uuid.UUID:
        if key not in self.contacts:
            raise _Skipped
        return self.contacts[key]

    def _consent(self, step: GiveConsent) -> None:
        record_consent(
            self._actor(step.department_code),
            step.citizen_id,
            {
                "purpose": step.purpose,
                "granted": True,
                "channel": step.channel,
                "note": None,
                "interaction_id": self._contact_id(step.contact_key),
            },
        )

    def _answer(self, step: AnswerSurvey) -> None:
        data = {"interaction_id": self._contact_id(step.contact_key), **_answers(step)}
        record_staff_response(self._actor(step.department_code), data)
        self.answered.add(step.contact_key)

    def _answer_link(self, step: AnswerInvitation) -> None:
        """The citizen opens the link of their invitation and answers (the token is the one
        the invitation carried: it is derived from the contact's id)."""
        token = issue_token(self._contact_id(step.contact_key))
        record_token_response(token, _answers(step), DEMO_REQUEST_ID)
        self.answered.add(step.contact_key)


def _answers(step: AnswerSurvey | AnswerInvitation) -> dict[str, Any]:
    data: dict[str, Any] = {"csat": step.csat}
    for name in ("nps", "effort", "comment"):
        if getattr(step, name) is not None:
            data[name] = getattr(step, name)
    return data


class _Skipped(Exception):
    """A step whose contact or case was refused earlier."""
