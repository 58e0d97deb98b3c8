"""Satisfaction answers: drawn from each channel's profile, given to staff or, once the surveys
service has invited the citizen, through the invitation's link."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from cgcrm.demo import profiles
from cgcrm.demo.steps import AnswerInvitation
from cgcrm.extensions import db
from cgcrm.surveys.models import SurveyInvitation

Answers = tuple[int, int | None, int | None, str | None]


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    """A value drawn with its weight."""
    point = rng.random() * sum(weight for _, weight in weighted)
    for value, weight in weighted:
        point -= weight
        if point < 0:
            return value
    return weighted[-1][0]


def draw_answers(rng: random.Random, channel: str) -> Answers:
    """CSAT from the channel's profile; NPS and effort, when given, in line with it."""
    shares = profiles.CSAT.get(channel, profiles.CSAT["phone"])
    csat: int = pick(rng, list(zip((5, 4, 3, 2, 1), shares, strict=True)))
    nps = None
    if rng.random() < profiles.NPS_GIVEN:
        nps = max(0, min(10, 2 * csat - 1 + rng.choice((-1, 0, 0, 1))))
    effort = None
    if rng.random() < profiles.EFFORT_GIVEN:
        effort = max(1, min(7, 7 - csat + rng.choice((-1, 0, 1))))
    comment = None
    if rng.random() < profiles.COMMENTED:
        comment = rng.choice(profiles.COMMENTS[csat])
    return csat, nps, effort, comment


def invitation_answers(
    sent_since: datetime,
    keys: dict[uuid.UUID, int],
    channels: dict[int, str],
    answered: set[int],
    until: datetime,
    seed: int,
) -> list[AnswerInvitation]:
    """Answers to the invitations sent after ``sent_since`` about the demo's contacts: some
    citizens follow the link within a few days, before it expires and before ``until``.

    Each contact's draw has its own generator (seed and the contact's number in the plan), so
    the answers do not depend on the order invitations are found in.

    :param keys: contact id → its number in the plan (``Contact.key``).
    :param answered: contacts already answered (to staff): their link would be refused.
    """
    rows = db.session.execute(
        select(
            SurveyInvitation.interaction_id, SurveyInvitation.sent_at, SurveyInvitation.expires_at
        )
        .where(SurveyInvitation.sent_at > sent_since)
        .order_by(SurveyInvitation.sent_at, SurveyInvitation.interaction_id)
    ).all()
    db.session.commit()
    steps = []
    for interaction_id, sent_at, expires_at in rows:
        key = keys.get(interaction_id)
        if key is None or key in answered:
            continue
        rng = random.Random(seed * 1_000_003 + key)
        if rng.random() >= profiles.INVITATION_ANSWERED:
            continue
        at = sent_at + timedelta(hours=rng.uniform(0.5, 72))
        if at >= min(expires_at, until):
            continue
        steps.append(AnswerInvitation(at, 0, key, *draw_answers(rng, channels[key])))
    return steps
