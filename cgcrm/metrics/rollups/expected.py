"""The rollups recomputed from raw data in Python, over the same pure rules as the handlers.

The rebuild's path on SQLite (the zero-setup default), and the reference the SQL rebuild of
PostgreSQL is tested against.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from cgcrm.cases.models import Case
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.metrics.models import CaseResolution
from cgcrm.metrics.rollups.buckets import (
    Contact,
    Deltas,
    add_to,
    bucket_of,
    day_bounds,
    implausible,
    merge,
    new_deltas,
    zone,
)
from cgcrm.metrics.rollups.cases import CASE_COLUMNS, placement
from cgcrm.metrics.rollups.contributions import all_counts
from cgcrm.metrics.rollups.counted import (
    CASE_EVENT,
    CASE_HANDLER,
    INVITATION_EVENT,
    INVITATIONS_HANDLER,
    RECORDED_EVENT,
    RESPONSE_EVENT,
    RESPONSES_HANDLER,
    ROLLUP_HANDLER,
    all_pending,
)
from cgcrm.metrics.rollups.followups import WINDOW
from cgcrm.metrics.rollups.neighbours import CONTACT_COLUMNS, group_members
from cgcrm.metrics.rollups.surveys import BUCKET_COLUMNS, response_counts
from cgcrm.metrics.rollups.transactions import group_key
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse


def _counted(rows: Iterable[Any], pending: set[Any]) -> list[Contact]:
    return [row for row in rows if row.id not in pending and not implausible(row)]


def interaction_counts(first: date, last: date) -> Deltas:
    """Every counter of interaction_daily_rollups for the days ``first`` … ``last``."""
    tz = zone()
    start, end = day_bounds(first, last, tz)
    pending = all_pending(RECORDED_EVENT, ROLLUP_HANDLER)
    # Follow-ups look 7 days either side; transactions reach any day of their group.
    nearby = _counted(
        db.session.execute(
            select(*CONTACT_COLUMNS).where(
                Interaction.started_at >= start - WINDOW, Interaction.started_at < end + WINDOW
            )
        ),
        pending,
    )
    known = {contact.id for contact in nearby}
    groups = sorted(
        {
            key[1:]
            for contact in nearby
            if start <= contact.started_at < end
            and (key := group_key(contact)) is not None
            and key[0] == "ref"
        },
        key=repr,
    )
    members = [row for row in group_members(groups) if row.id not in known]
    contacts = nearby + _counted(members, pending)

    def in_range(contact: Contact) -> bool:
        return start <= contact.started_at < end

    deltas = all_counts(contacts, tz, in_range)
    merge(deltas, survey_counts(start, end))
    return deltas


def survey_counts(start: datetime, end: datetime) -> Deltas:
    """The survey counters of the contacts started in [start, end)."""
    tz = zone()
    deltas = new_deltas()
    in_range = (Interaction.started_at >= start, Interaction.started_at < end)
    pending = all_pending(RESPONSE_EVENT, RESPONSES_HANDLER)
    responses = db.session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.csat,
            SurveyResponse.nps,
            SurveyResponse.effort,
            SurveyResponse.invitation_id,
            *BUCKET_COLUMNS,
        )
        .join(Interaction, Interaction.id == SurveyResponse.interaction_id)
        .where(*in_range)
    )
    for row in responses:
        if row.id not in pending:
            add_to(deltas, bucket_of(row, tz), response_counts(row))
    pending = all_pending(INVITATION_EVENT, INVITATIONS_HANDLER)
    invitations = db.session.execute(
        select(SurveyInvitation.id, *BUCKET_COLUMNS)
        .join(Interaction, Interaction.id == SurveyInvitation.interaction_id)
        .where(*in_range)
    )
    for invitation in invitations:
        if invitation.id not in pending:
            add_to(deltas, bucket_of(invitation, tz), {"invitations_sent": 1})
    return deltas


def case_placements(first: date, last: date) -> dict[Any, Any]:
    """Where each case counts among the days ``first`` … ``last``: {case_id: placement}.

    A case counts where its row says, except a case whose latest change the handler has not
    processed yet, which stays where the handler left it (the handler moves it), and a case
    the handler counts on a day outside the range, which no rebuild of this range may move.
    """
    tz = zone()
    start, end = day_bounds(first, last, tz)
    stored = {
        row.case_id: row
        for row in db.session.scalars(
            select(CaseResolution).where(
                CaseResolution.case_id.in_(
                    select(Case.id).where(Case.resolved_at >= start, Case.resolved_at < end)
                )
                | ((CaseResolution.day >= first) & (CaseResolution.day <= last))
            )
        )
    }
    cases = db.session.execute(
        select(*CASE_COLUMNS).where(
            (Case.resolved_at >= start) & (Case.resolved_at < end) | Case.id.in_(list(stored))
        )
    )
    pending = all_pending(CASE_EVENT, CASE_HANDLER)
    placements = {}
    for case in cases:
        before = stored.get(case.id)
        if case.id in pending:
            if before is not None and first <= before.day <= last:
                key = (before.day, before.department_id, before.service_id)
                placements[case.id] = (key, before.within_sla)
            continue
        if before is not None and not first <= before.day <= last:
            continue
        where = placement(case, tz)
        if where is not None and first <= where[0][0] <= last:
            placements[case.id] = where
    return placements


def case_counts(placements: dict[Any, Any]) -> Deltas:
    deltas = new_deltas()
    for key, within in placements.values():
        add_to(deltas, key, {"resolved": 1, "resolved_within_sla": int(within)})
    return deltas
