"""The 360 view: one citizen's record with their open cases and contacts across every channel.

The number of SQL statements is fixed (the record and its lists, the audit append, one query
each for open cases, channel counts and latest contacts, two for satisfaction), whatever the
citizen's history holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from cgcrm.assurance.evidence import Assurance, assurance_of
from cgcrm.cases.models import OPEN_STATUSES, Case
from cgcrm.cases.service import may_see_case
from cgcrm.citizens import sharing
from cgcrm.citizens.reading import CitizenRecord
from cgcrm.citizens.service import load_citizen
from cgcrm.core.audit import record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.payments.service import citizen_payments
from cgcrm.payments.views import PaymentView
from cgcrm.surveys.models import SurveyResponse


@dataclass
class ChannelUse:
    channel: str
    interactions: int
    last_contact_at: datetime


@dataclass
class SatisfactionAnswer:
    """One satisfaction answer about one of the citizen's contacts, with that contact's
    channel and service."""

    id: uuid.UUID
    interaction_id: uuid.UUID
    channel: str
    service_code: str | None
    csat: int
    nps: int | None
    effort: int | None
    comment: str | None
    source: str
    recorded_at: datetime


@dataclass
class Satisfaction:
    answers: int = 0
    mean_csat: float | None = None
    latest: list[SatisfactionAnswer] = field(default_factory=list)


@dataclass
class Overview:
    citizen: CitizenRecord
    open_cases: list[Case]
    latest_interactions: list[Interaction]
    channels: list[ChannelUse]
    withheld: dict[str, int] = field(default_factory=dict)
    # The latest payments (issue 12), newest first.
    payments: list[PaymentView] = field(default_factory=list)
    assurance: Assurance | None = None
    # Satisfaction answers about the citizen's contacts (those the caller may see).
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def interaction_count(self) -> int:
        return sum(use.interactions for use in self.channels)

    @property
    def last_channel(self) -> str | None:
        latest = max(self.channels, key=lambda use: use.last_contact_at, default=None)
        return latest.channel if latest else None


def _channel_use(citizen: CitizenRecord, visible: Any) -> tuple[list[ChannelUse], int]:
    rows = db.session.execute(
        select(
            Interaction.channel_code,
            visible.label("visible"),
            func.count(),
            func.max(Interaction.started_at),
        )
        .where(Interaction.citizen_id == citizen.id)
        .group_by(Interaction.channel_code, "visible")
    ).all()
    uses: dict[str, ChannelUse] = {}
    withheld = 0
    for channel, is_visible, count, last in rows:
        if not is_visible:
            withheld += count
            continue
        uses[channel] = ChannelUse(channel, count, last)
    ordered = sorted(uses.values(), key=lambda use: (-use.interactions, use.channel))
    return ordered, withheld


def _latest_interactions(citizen: CitizenRecord, visible: Any, limit: int) -> list[Interaction]:
    query = (
        select(Interaction)
        .where(Interaction.citizen_id == citizen.id, visible)
        .order_by(Interaction.started_at.desc(), Interaction.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _satisfaction(citizen: CitizenRecord, visible: Any, limit: int) -> tuple[Satisfaction, int]:
    """How many answers, their mean CSAT and the latest ones, about contacts the caller may
    see; and how many answers about the others were left out. Two statements."""
    about_citizen = SurveyResponse.interaction_id == Interaction.id
    rows = db.session.execute(
        select(visible.label("visible"), func.count(), func.avg(SurveyResponse.csat))
        .select_from(SurveyResponse)
        .join(Interaction, about_citizen)
        .where(Interaction.citizen_id == citizen.id)
        .group_by("visible")
    ).all()
    summary = Satisfaction()
    withheld = 0
    for is_visible, count, mean in rows:
        if is_visible:
            summary.answers, summary.mean_csat = count, round(float(mean), 2)
        else:
            withheld += count
    if summary.answers:
        latest = db.session.execute(
            select(SurveyResponse, Interaction)
            .join(Interaction, about_citizen)
            .where(Interaction.citizen_id == citizen.id, visible)
            .order_by(SurveyResponse.recorded_at.desc(), SurveyResponse.id.desc())
            .limit(limit)
        ).all()
        summary.latest = [
            SatisfactionAnswer(
                r.id,
                r.interaction_id,
                contact.channel_code,
                contact.service_code,
                r.csat,
                r.nps,
                r.effort,
                r.comment,
                r.source,
                r.recorded_at,
            )
            for r, contact in latest
        ]
    return summary, withheld


def _open_cases(actor: Actor, citizen: CitizenRecord) -> tuple[list[Case], int]:
    cases = list(
        db.session.scalars(
            select(Case)
            .where(Case.citizen_id == citizen.id, Case.status.in_(OPEN_STATUSES))
            .order_by(Case.due_at)
        )
    )
    visible = [
        case for case in cases if may_see_case(actor, case, bool(citizen.shares_across_government))
    ]
    return visible, len(cases) - len(visible)


def citizen_overview(actor: Actor, citizen_id: uuid.UUID, reason: str | None = None) -> Overview:
    """Everything front-office staff need about one citizen, in one read; the read is audited.

    Another department's cases and contacts are left out unless the citizen shares across
    government or the caller holds ``cross_department``; how many were left out is reported.

    :raises NotFound: no such citizen.
    """
    try:
        citizen = load_citizen(citizen_id)
        visible = sharing.visible_clause(
            actor, Interaction.department_id, bool(citizen.shares_across_government)
        )
        channels, withheld_interactions = _channel_use(citizen, visible)
        latest = _latest_interactions(
            citizen, visible, int(current_app.config["OVERVIEW_RECENT_INTERACTIONS"])
        )
        open_cases, withheld_cases = _open_cases(actor, citizen)
        payments, withheld_payments = citizen_payments(
            actor,
            citizen.id,
            bool(citizen.shares_across_government),
            int(current_app.config["OVERVIEW_RECENT_PAYMENTS"]),
        )
        assurance = assurance_of(citizen.id)
        satisfaction, withheld_answers = _satisfaction(
            citizen, visible, int(current_app.config["OVERVIEW_RECENT_INTERACTIONS"])
        )
        record_access(
            actor,
            "citizen.overview_read",
            [citizen.id],
            fields=["record", "cases", "interactions", "payments", "assurance", "satisfaction"],
            reason=reason,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Overview(
        citizen=citizen,
        open_cases=open_cases,
        latest_interactions=latest,
        channels=channels,
        withheld={
            "interactions": withheld_interactions,
            "open_cases": withheld_cases,
            "payments": withheld_payments,
            "satisfaction": withheld_answers,
        },
        payments=payments,
        assurance=assurance,
        satisfaction=satisfaction,
    )
