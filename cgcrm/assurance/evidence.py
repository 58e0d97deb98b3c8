"""The level a citizen's recorded evidence gives now, and until when."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from cgcrm.assurance import rules
from cgcrm.assurance.models import Verification
from cgcrm.citizens.models import ContactPoint
from cgcrm.core.clock import utcnow
from cgcrm.core.crypto import cipher
from cgcrm.extensions import db


def contact_hash(kind: str, value: str) -> str:
    """Keyed hash of a normalised contact point: evidence names it without holding it."""
    return cipher().blind_index(f"assurance-contact:{kind}:{value}")


@dataclass
class Assurance:
    """A citizen's level now, the evidence that counts, and when the level next drops."""

    level: str
    evidence: list[Verification] = field(default_factory=list)
    valid_until: datetime | None = None

    @property
    def methods(self) -> list[str]:
        return sorted({v.method for v in self.evidence})


def _as_rule_evidence(rows: list[Verification]) -> list[rules.Evidence]:
    return [rules.Evidence(row.method, row.strength) for row in rows]


def counted_evidence(citizen_id: uuid.UUID, now: datetime | None = None) -> list[Verification]:
    """Passed, unexpired evidence; a verified contact point counts while it is on the record.

    Reads inside the caller's transaction (two SELECTs).
    """
    moment = now or utcnow()
    rows = list(
        db.session.scalars(
            select(Verification)
            .where(
                Verification.citizen_id == citizen_id,
                Verification.outcome == "passed",
                Verification.expires_at > moment,
            )
            .order_by(Verification.verified_at.desc(), Verification.id)
        )
    )
    if any(row.method == rules.CONTACT_OTP for row in rows):
        current = {
            contact_hash(kind, value)
            for kind, value in db.session.execute(
                select(ContactPoint.kind, ContactPoint.value).where(
                    ContactPoint.citizen_id == citizen_id
                )
            )
        }
        rows = [
            row
            for row in rows
            if row.method != rules.CONTACT_OTP or row.details.get("contact_hash") in current
        ]
    return rows


def assurance_of(citizen_id: uuid.UUID, now: datetime | None = None) -> Assurance:
    """The level the rules give ``citizen_id``'s counted evidence, in the caller's transaction."""
    moment = now or utcnow()
    rows = counted_evidence(citizen_id, moment)
    level = rules.level_of(_as_rule_evidence(rows))
    valid_until = None
    if level != "none":
        # The first expiry after which the remaining evidence no longer gives this level.
        for expiry in sorted({row.expires_at for row in rows}):
            remaining = [row for row in rows if row.expires_at > expiry]
            if rules.rank(rules.level_of(_as_rule_evidence(remaining))) < rules.rank(level):
                valid_until = expiry
                break
    return Assurance(level=level, evidence=rows, valid_until=valid_until)
