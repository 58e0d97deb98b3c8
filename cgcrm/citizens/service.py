"""Rules of the citizen record. Each public function is one transaction with its audit events
and outbox event; none touches Flask's request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

from flask import current_app
from sqlalchemy import func, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cgcrm.citizens import (
    assurance_links,
    audit_scope,
    consents,
    create_locks,
    match_links,
    record,
    sharing,
)
from cgcrm.citizens.models import Citizen, Consent, ExternalIdentifier, next_version
from cgcrm.citizens.reading import CitizenRecord, read_audited, read_record
from cgcrm.core.audit import AuditEvent, access_rows, record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import (
    Conflict,
    NotAuthorized,
    NotFound,
    PreconditionFailed,
    ValidationError,
)
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.core.scopes import CITIZENS_EXPORT
from cgcrm.extensions import db

BeforeCommit = Callable[[Citizen], None]
LIST_FIELDS = ("previous_names", "contact_points", "addresses", "identifiers")


def _flush_or_conflict() -> None:
    """Flush, turning a lost race on a unique identifier into the same 409 as the pre-check.

    Two requests can both pass ``build_identifiers``'s check before either commits; the unique
    constraint then decides, and the loser must hear 409, not 500.
    """
    try:
        db.session.flush()
    except IntegrityError as exc:
        if "uq_external_identifiers_system_value" not in str(exc.orig):
            raise
        raise Conflict(
            "an identifier is already recorded for another citizen",
            errors={"identifiers": ["already in use"]},
        ) from exc


def preference_values(preferences: dict[str, Any]) -> dict[str, Any]:
    """The record's columns the preferences sent set (those not sent are left alone)."""
    values: dict[str, Any] = {}
    if "preferred_channel" in preferences:
        values["preferred_channel"] = preferences["preferred_channel"]
    if "language" in preferences:
        values["preferred_language"] = preferences["language"]
    if "accessibility_needs" in preferences:
        values["accessibility_needs"] = sorted(set(preferences["accessibility_needs"] or []))
    return values


def _apply_preferences(citizen: Citizen, preferences: dict[str, Any]) -> None:
    for name, value in preference_values(preferences).items():
        setattr(citizen, name, value)


# Review items a create files at most: the best few possible matches, not a crowd.
REVIEW_ITEMS_PER_CREATE = 3


def _match_first(data: dict[str, Any], on_match: str) -> list[match_links.MatchCandidate]:
    """Ask the matcher (when the app installed one) who this person may already be.

    :returns: the candidates a review item is filed for once the record exists.
    :raises Conflict: a match, unless ``on_match`` is create or link.
    :raises match_links.ExistingRecord: a match with ``on_match=link``.
    """
    lookup = match_links.match_lookup()
    if lookup is None:
        return []
    # A concurrent create of the same person commits before this match reads, or waits.
    create_locks.serialise_same_person(data)
    candidates = lookup.find(data, REVIEW_ITEMS_PER_CREATE)
    best = candidates[0] if candidates else None
    if best is not None and best.band == "match" and best.citizen_id is not None:
        if on_match == "link":
            raise match_links.ExistingRecord(best.citizen_id)
        if on_match == "reject":
            raise Conflict(
                f"this person is already recorded as citizen {best.citizen_id} (match "
                f"probability {best.score:.4f}); send ?on_match=link to use that record or "
                "?on_match=create to record a new one anyway",
                # ``existing_citizen`` as an identifier clash names it, so one check serves both.
                existing_citizen=str(best.citizen_id),
                existing_citizen_id=str(best.citizen_id),
                existing_citizen_url=f"/api/v1/citizens/{best.citizen_id}",
                score=best.score,
                explanation=best.explanation,
            )
    return [c for c in candidates if c.band in ("match", "possible") and c.citizen_id]


def build_citizen(
    actor: Actor,
    data: dict[str, Any],
    identifiers: list[ExternalIdentifier] | None = None,
) -> Citizen:
    """A new citizen record with its lists, not yet added to the session (create and bulk
    import build records alike).

    :param data: validated ``CitizenCreateSchema`` output.
    :param identifiers: the identifier rows, when the caller built them (a bulk import checks
        a whole batch's identifiers in one query); by default built from ``data``, each checked.
    :raises ValidationError, NotAuthorized, Conflict: as ``create_citizen``.
    """
    citizen = _new_citizen(actor, data)
    _attach_lists(actor, citizen, data, identifiers)
    return citizen


def new_citizen_values(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A new record's own columns, checked (names, consent decisions), without its lists
    (create builds the model from them; a bulk import inserts them as they are).

    :raises ValidationError, NotAuthorized: as ``create_citizen``.
    """
    for item in data.get("consents", []):
        consents.check_consent_decision(actor, None, False, item)
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id(),
        "status": "active",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by_department_id": actor.principal.department_id,
        "preferred_channel": None,
        "preferred_language": None,
        "accessibility_needs": [],
        **{field: data.get(field) for field in record.SCALAR_FIELDS},
    }
    record.check_names(values)
    values.update(preference_values(data.get("preferences") or {}))
    return values


def _new_citizen(actor: Actor, data: dict[str, Any]) -> Citizen:
    """The record's own columns, checked (names, consent decisions), without its lists."""
    return Citizen(**new_citizen_values(actor, data))


def _attach_lists(
    actor: Actor,
    citizen: Citizen,
    data: dict[str, Any],
    identifiers: list[ExternalIdentifier] | None,
) -> None:
    citizen.contact_points = record.build_contact_points(data.get("contact_points", []))
    citizen.addresses = record.build_addresses(data.get("addresses", []))
    if identifiers is None:
        identifiers = record.build_identifiers(data.get("identifiers", []))
    citizen.identifiers = identifiers
    record.rebuild_names(citizen, data.get("previous_names", []))
    citizen.consents = [
        consents.new_consent(actor, citizen.id, item) for item in data.get("consents", [])
    ]
    citizen.shares_across_government = bool(
        sharing.latest_sharing_decision((c.purpose, c.granted) for c in citizen.consents)
    )


def create_citizen(
    actor: Actor,
    data: dict[str, Any],
    before_commit: BeforeCommit | None = None,
    *,
    on_match: str = "reject",
) -> Citizen:
    """Create a citizen record with its contact points, addresses, identifiers and consents.

    The matcher runs first (``match_links``): a match refuses the create unless ``on_match``
    says otherwise; each possible match (and a match created anyway) is filed for review in
    the same transaction.

    :param data: validated ``CitizenCreateSchema`` output.
    :param before_commit: called with the new citizen inside the transaction (the route stores
        the idempotent response there, so it commits with the record).
    :param on_match: reject (409), create (anyway, filing a review item) or link (raise
        ``ExistingRecord`` naming the existing citizen).
    :raises ValidationError: invalid email, phone or names; a consent that widens access
        (it is recorded afterwards, naming the contact it was given in).
    :raises NotAuthorized: a consent that widens access without ``consents:record``.
    :raises Conflict: an identifier already belongs to another citizen; the person is already
        recorded (``existing_citizen_id``).
    :raises match_links.ExistingRecord: already recorded, with ``on_match=link``.
    """
    citizen = _new_citizen(actor, data)
    try:
        # The matcher before the lists: a person already recorded is named (or linked) even
        # when the body repeats that person's identifier.
        to_review = _match_first(data, on_match)
    except (Conflict, match_links.ExistingRecord):
        # Nothing of the create was written: ending the transaction with a commit releases its
        # locks as a rollback would, without making the driver forget its prepared statements
        # (psycopg drops them all on a rollback; the match's plan would then be made again).
        # With an Idempotency-Key (``before_commit``) the transaction holds the key's claim,
        # which a refused request must not keep: that one rolls back.
        if before_commit is None:
            db.session.commit()
        else:
            db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        raise
    try:
        _attach_lists(actor, citizen, data, None)
        db.session.add(citizen)
        _flush_or_conflict()
        lookup = match_links.match_lookup()
        for candidate in to_review:
            if lookup is not None:
                lookup.file(citizen.id, candidate)
        record_access(actor, "citizen.created", [citizen.id], fields=sorted(data))
        add_event(
            "citizen.created",
            "citizen",
            citizen.id,
            {"citizen_id": str(citizen.id), "fields": sorted(data)},
        )
        if before_commit:
            before_commit(citizen)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return citizen


# One citizen's short lists come in one joined query (a selectin load costs a statement each);
# consents are an append-only history, so they stay out of the join's row product.
_RECORD_LISTS = (
    joinedload(Citizen.names),
    joinedload(Citizen.contact_points),
    joinedload(Citizen.addresses),
    joinedload(Citizen.identifiers),
)


@overload
def load_citizen(citizen_id: uuid.UUID) -> CitizenRecord: ...


@overload
def load_citizen(citizen_id: uuid.UUID, *, for_update: Literal[True]) -> Citizen: ...


def load_citizen(citizen_id: uuid.UUID, *, for_update: bool = False) -> CitizenRecord | Citizen:
    """The citizen with its lists, inside the caller's transaction.

    To read, plain values (``CitizenRecord``, no ORM loading); with ``for_update``, the ORM
    object, its row locked, for a change.

    :raises NotFound: no such citizen.
    """
    citizen: CitizenRecord | Citizen | None
    if for_update:
        query = select(Citizen).where(Citizen.id == citizen_id).options(*_RECORD_LISTS)
        citizen = db.session.scalars(query.with_for_update(of=Citizen)).unique().one_or_none()
    else:
        citizen = read_record(db.session.connection(), citizen_id)
    if citizen is None:
        raise NotFound(f"no citizen with id {citizen_id}")
    return citizen


def get_citizen(actor: Actor, citizen_id: uuid.UUID, reason: str | None = None) -> CitizenRecord:
    """Read one citizen record; the read is audited.

    The busiest read: the record and its audit event are one statement on PostgreSQL, on an
    autocommit connection of its own (no BEGIN, no COMMIT round trips), and the record is
    returned only once its audit row is stored. ``AUDIT_READS_SYNCHRONOUS_COMMIT`` says whether
    that row is also flushed to disk first.

    :raises NotFound: no such citizen.
    """
    (event,) = access_rows(actor, "citizen.read", [citizen_id], reason=reason)
    synchronous = bool(current_app.config["AUDIT_READS_SYNCHRONOUS_COMMIT"])
    with db.engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        citizen = read_audited(autocommit, citizen_id, event, synchronous=synchronous)
    if citizen is None:
        raise NotFound(f"no citizen with id {citizen_id}")
    return citizen


def update_citizen(
    actor: Actor, citizen_id: uuid.UUID, expected_version: int, changes: dict[str, Any]
) -> Citizen:
    """Apply a partial update to a citizen, if nobody changed it since ``expected_version``.

    Lists present in ``changes`` replace the stored lists; absent ones are untouched.

    :raises NotFound: no such citizen.
    :raises PreconditionFailed: the record changed since the caller read it.
    :raises Conflict: the record was merged into another one.
    :raises ValidationError: invalid values.
    """
    try:
        citizen = load_citizen(citizen_id, for_update=True)
        # A tombstone answers 409 naming the survivor whatever If-Match says: no version of
        # it can be changed any more.
        if citizen.status == "merged":
            raise Conflict(
                f"this record was merged into {citizen.merged_into_id}; update that one",
                merged_into=str(citizen.merged_into_id),
            )
        if citizen.version != expected_version:
            raise PreconditionFailed(
                f"the citizen changed since version {expected_version}; it is now version "
                f"{citizen.version}: GET it again and reapply your change",
                current_version=citizen.version,
            )
        assurance_links.check_change(citizen, changes)
        if not changes:
            # Nothing to change: no new version, no event; the caller still gets the record.
            db.session.commit()
            return citizen
        for field in record.SCALAR_FIELDS:
            if field in changes:
                if changes[field] is None and field in ("given_name", "family_name"):
                    raise ValidationError(
                        f"{field} cannot be removed", errors={field: ["may not be null"]}
                    )
                setattr(citizen, field, changes[field])
        record.validate_names(citizen)
        if "preferences" in changes:
            _apply_preferences(citizen, changes["preferences"] or {})
        if "contact_points" in changes:
            citizen.contact_points = record.build_contact_points(changes["contact_points"] or [])
        if "addresses" in changes:
            citizen.addresses = record.build_addresses(changes["addresses"] or [])
        if "identifiers" in changes:
            # Flush the removal first so a re-ordered identifier list is not a duplicate.
            stored = record.stored_identifiers(citizen)
            citizen.identifiers = []
            db.session.flush()
            citizen.identifiers = record.build_identifiers(
                changes["identifiers"] or [], citizen.id, stored
            )
        names_changed = {"given_name", "family_name", "preferred_name", "previous_names"}
        if names_changed & changes.keys():
            record.rebuild_names(citizen, changes.get("previous_names"))
        citizen.version = next_version(citizen.version, citizen.highest_version)
        citizen.updated_at = utcnow()
        _flush_or_conflict()
        changed = sorted(changes)
        record_access(actor, "citizen.updated", [citizen.id], fields=changed)
        add_event(
            "citizen.updated",
            "citizen",
            citizen.id,
            {"citizen_id": str(citizen.id), "fields": changed, "version": citizen.version},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return citizen


def list_citizens(
    actor: Actor,
    *,
    limit: int,
    after: uuid.UUID | None = None,
    identifier: str | None = None,
    status: str | None = None,
) -> list[Citizen]:
    """A page of citizens in creation order, optionally by ``SYSTEM:VALUE`` identifier or status.

    Every citizen returned is audited as disclosed.

    :raises NotAuthorized: no ``identifier`` (a page of the whole population, whatever the
        status) without the ``citizens:export`` scope; search and look-ups need no more than
        ``citizens:read``.
    """
    if identifier is None and not actor.principal.has_scope(CITIZENS_EXPORT):
        raise NotAuthorized(
            f"listing citizens without identifier= pages through the whole population and "
            f"needs the {CITIZENS_EXPORT} scope; look one up with ?identifier=SYSTEM:VALUE or "
            "find them with /api/v1/citizens/search",
            www_error="insufficient_scope",
        )
    query = select(Citizen).order_by(Citizen.id).limit(limit)
    if after is not None:
        query = query.where(Citizen.id > after)
    if status:
        query = query.where(Citizen.status == status)
    if identifier:
        system, _, value = identifier.partition(":")
        query = query.where(
            Citizen.id.in_(
                select(ExternalIdentifier.citizen_id).where(
                    ExternalIdentifier.system == system,
                    ExternalIdentifier.value_index == record.identifier_index(value),
                )
            )
        )
    try:
        citizens = list(db.session.scalars(query))
        record_access(actor, "citizen.listed", [c.id for c in citizens])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return citizens


def record_consent(actor: Actor, citizen_id: uuid.UUID, data: dict[str, Any]) -> Consent:
    """Append a consent decision; earlier decisions stay in the history.

    A grant that widens access (``sharing.WIDENING_PURPOSES``) is audited as
    ``citizen.sharing_granted``, naming the contact it was given in; its
    ``citizen.consent_recorded`` event carries ``widens``, on which a handler notifies the
    citizen (``cgcrm.citizens.jobs.notify_consent_recorded``).

    :param data: validated ``ConsentRecordSchema`` output.
    :raises NotFound: no such citizen.
    :raises Conflict: the record was merged.
    :raises NotAuthorized: a widening grant without ``consents:record``.
    :raises ValidationError: a widening grant without a plausible contact of this citizen's
        (``consents.check_consent_decision``).
    """
    try:
        citizen = load_citizen(citizen_id, for_update=True)
        if citizen.status == "merged":
            raise Conflict(
                f"this record was merged into {citizen.merged_into_id}",
                merged_into=str(citizen.merged_into_id),
            )
        consents.check_consent_decision(
            actor, citizen.id, bool(citizen.shares_across_government), data
        )
        consent = consents.new_consent(actor, citizen.id, data)
        citizen.consents.append(consent)
        if consent.purpose == sharing.WHOLE_OF_GOVERNMENT_SHARING:
            citizen.shares_across_government = consent.granted
        citizen.version = next_version(citizen.version, citizen.highest_version)
        citizen.updated_at = utcnow()
        db.session.flush()
        widens = sharing.widens_access(consent.purpose, consent.granted)
        record_access(
            actor,
            "citizen.sharing_granted" if widens else "citizen.consent_recorded",
            [citizen.id],
            fields=["consents"],
            reason=f"{consent.purpose} given in contact {consent.interaction_id}"
            if widens
            else None,
        )
        add_event(
            "citizen.consent_recorded",
            "citizen",
            citizen.id,
            consents.event_payload(actor, consent, widens),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return consent


def consent_history(actor: Actor, citizen_id: uuid.UUID) -> list[Any]:
    """Every consent decision of a citizen, oldest first; the read is audited.

    :raises NotFound: no such citizen.
    """
    try:
        citizen = load_citizen(citizen_id)
        record_access(actor, "citizen.consents_read", [citizen.id], fields=["consents"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return list(citizen.consents)


@dataclass
class AuditPage:
    """A page of audit entries, and how many of the citizen's entries the caller may not see."""

    events: list[AuditEvent]
    withheld: int


def audit_trail(
    actor: Actor, citizen_id: uuid.UUID, *, limit: int, after: int | None = None
) -> AuditPage:
    """A page of the citizen's audit entries the caller may see, oldest first.

    Entries about another department's cases and contacts are withheld unless the citizen
    shares across government or the caller holds ``cross_department`` (``audit_scope``); how
    many are withheld, over the whole trail, is counted. Reading the trail is not itself audited
    in the trail it reads: that would make every auditor's page grow as it is read.

    :raises NotFound: no such citizen.
    """
    # Only the sharing flag decides what is shown: one column, not the whole record.
    shares = db.session.scalar(
        select(Citizen.shares_across_government).where(Citizen.id == citizen_id)
    )
    if shares is None:
        raise NotFound(f"no citizen with id {citizen_id}")
    visible = audit_scope.visible_entries(actor, bool(shares))
    query = (
        select(AuditEvent)
        .where(AuditEvent.citizen_id == citizen_id, visible)
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    if after is not None:
        query = query.where(AuditEvent.seq > after)
    events = list(db.session.scalars(query))
    withheld = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.citizen_id == citizen_id, not_(visible))
    )
    db.session.commit()
    return AuditPage(events=events, withheld=int(withheld or 0))
