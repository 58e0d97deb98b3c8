"""Citizen record tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cgcrm.core.clock import utcnow
from cgcrm.core.ids import new_id
from cgcrm.core.types import JSONDocument, UTCDateTime
from cgcrm.extensions import db

STATUSES = ("active", "merged", "deceased")
NAME_KINDS = ("current", "preferred", "previous")
CONTACT_KINDS = ("email", "phone")


class CitizenFacts:
    """What a citizen's record shows beyond its columns; shared by the model and the plain
    values of ``cgcrm.citizens.reading`` so both serialise alike."""

    __slots__ = ()

    @property
    def previous_names(self: Any) -> list[Any]:
        return [name for name in self.names if name.kind == "previous"]

    @property
    def preferences(self: Any) -> dict[str, Any]:
        return {
            "preferred_channel": self.preferred_channel,
            "language": self.preferred_language,
            "accessibility_needs": list(self.accessibility_needs or []),
        }

    @property
    def current_consents(self: Any) -> list[Any]:
        """The latest decision per purpose; the full history stays in ``consents``."""
        latest: dict[str, Any] = {}
        for consent in self.consents:
            latest[consent.purpose] = consent
        return sorted(latest.values(), key=lambda c: c.purpose)


class ConsentFacts:
    """A consent decision's status word, for the model and its plain values alike."""

    __slots__ = ()

    @property
    def status(self: Any) -> str:
        return "granted" if self.granted else "withdrawn"


class Citizen(CitizenFacts, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "citizens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(10), default="active")
    # People with one name exist, and department files often lack one: at least one is set.
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    middle_names: Mapped[str | None] = mapped_column(String(200), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    preferred_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    date_of_death: Mapped[date | None] = mapped_column(Date, nullable=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    preferred_language: Mapped[str | None] = mapped_column(String(35), nullable=True)
    accessibility_needs: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("citizens.id"), nullable=True
    )
    created_by_department_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("departments.id"), nullable=True
    )
    # Mirrors the latest whole_of_government_sharing consent, so department scoping is a column
    # test in SQL rather than a walk through the consent history (cgcrm.citizens.sharing).
    shares_across_government: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The highest version the record has had, if above ``version``: undoing a merge puts the
    # record back exactly as it was, version included, and its next change goes past this, so
    # a version number never names two different states (an ETag of the merged record cannot
    # match a later one). Not in the API.
    highest_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    names: Mapped[list[CitizenName]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CitizenName.position"
    )
    contact_points: Mapped[list[ContactPoint]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContactPoint.position"
    )
    addresses: Mapped[list[Address]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Address.position"
    )
    identifiers: Mapped[list[ExternalIdentifier]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ExternalIdentifier.position"
    )
    consents: Mapped[list[Consent]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Consent.recorded_at"
    )

    __table_args__ = (
        CheckConstraint("status IN ('active', 'merged', 'deceased')", name="status"),
        CheckConstraint("given_name IS NOT NULL OR family_name IS NOT NULL", name="a_name"),
        # The match reads ids by birth date, and the birth date and status by id, from the
        # indexes alone (migration 0016).
        Index("ix_citizens_date_of_birth", "date_of_birth", postgresql_include=["id"]),
        Index("ix_citizens_match_rank", "id", postgresql_include=["date_of_birth", "status"]),
    )


class CitizenName(db.Model):  # type: ignore[name-defined,misc]
    """Every name a citizen is known by, with search keys; previous names carry their dates."""

    __tablename__ = "citizen_names"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizens.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A mononym has one of the two; its missing part's key is "".
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    given_key: Mapped[str] = mapped_column(String(100))
    family_key: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        # A citizen's names; the match reads their keys from the index alone (migration 0016).
        Index(
            "ix_citizen_names_citizen_id",
            "citizen_id",
            postgresql_include=["given_key", "family_key"],
        ),
        # Search probes (family, given) pairs of candidate keys, then single keys, for ids and
        # kinds; the match probes both orders for ids alone (index-only scans, migrations 0016
        # and 0029).
        Index(
            "ix_citizen_names_family_given",
            "family_key",
            "given_key",
            postgresql_include=["citizen_id", "kind"],
        ),
        Index(
            "ix_citizen_names_given",
            "given_key",
            "family_key",
            postgresql_include=["citizen_id", "kind"],
        ),
    )


class NameToken(db.Model):  # type: ignore[name-defined,misc]
    """The dictionary of distinct name keys; fuzzy matching runs on it, not on every citizen."""

    __tablename__ = "name_tokens"

    token: Mapped[str] = mapped_column(String(100), primary_key=True)
    phonetic: Mapped[str] = mapped_column(String(12), index=True)
    # The roles the key has ever had in a stored name (never unset): the real-time match
    # probes a (family, given) pair only in the orders its keys can take. A key written by
    # code that does not say counts as both.
    used_as_given: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    used_as_family: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class ContactPoint(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "contact_points"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(254))  # lower-cased email or E.164 phone
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("kind IN ('email', 'phone')", name="kind"),
        Index("ix_contact_points_value", "value"),
    )


class Address(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "addresses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizens.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Any part may be unknown (a department's file); the API needs one of line1, locality, postcode.
    line1: Mapped[str | None] = mapped_column(String(200), nullable=True)
    line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    postcode_key: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        # The match reads the citizens of a postcode from the index alone (migration 0016).
        Index("ix_addresses_postcode_key", "postcode_key", postgresql_include=["citizen_id"]),
        # The match's postcode bonus reads a candidate's postcode keys from the index alone
        # (migration 0028).
        Index("ix_addresses_citizen_id", "citizen_id", postgresql_include=["postcode_key"]),
    )


class ExternalIdentifier(db.Model):  # type: ignore[name-defined,misc]
    """A department's id for the citizen. Encrypted at rest; found through a keyed hash."""

    __tablename__ = "external_identifiers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    system: Mapped[str] = mapped_column(String(40))
    value_encrypted: Mapped[str] = mapped_column(Text)
    value_index: Mapped[str] = mapped_column(String(64))
    # The last few characters in clear, so a department that may not read the value is shown
    # a masked one without anything being decrypted for it (cgcrm.citizens.disclosure).
    value_hint: Mapped[str] = mapped_column(String(4), default="", server_default="")

    __table_args__ = (
        UniqueConstraint("system", "value_index", name="uq_external_identifiers_system_value"),
        Index("ix_external_identifiers_value_index", "value_index"),
    )


class Consent(ConsentFacts, db.Model):  # type: ignore[name-defined,misc]
    """One decision about one purpose. Rows are only ever added: the history is the record."""

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    citizen_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("citizens.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(60))
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(20), ForeignKey("channels.code"))
    recorded_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The contact (interaction) the citizen gave a widening grant in. No foreign key: contacts
    # belong to a layer above this one; the id is checked when the consent is recorded.
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


def next_version(version: int, highest_version: int | None) -> int:
    """The version a citizen record's next change gets (see ``Citizen.highest_version``)."""
    return max(version, highest_version or 0) + 1
