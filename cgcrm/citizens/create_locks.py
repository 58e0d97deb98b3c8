"""Creates of the same person wait for each other, so the second one's match sees the first.

Matching before a create reads what is committed: two requests recording the same person at
the same moment would each find nobody and both create. So a create that matches first takes
transaction-scoped advisory locks on the keys the same person's records share (a name part
with the date of birth, both name parts without one, each email, phone and identifier, in
their canonical forms) before it matches. A second create with one key in common waits until
the first commits or rolls back, and its match (a statement of its own, so a snapshot taken
after the wait under READ COMMITTED) then finds the first record.

Keys are hashed to 64 bits and taken in sorted order in one statement, so two creates never
deadlock on them; the ``citizen-create`` prefix keeps them apart from other advisory locks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app

from cgcrm.citizens import normalize
from cgcrm.core.driver import GENERIC_PLANS, execute_prepared, note_generic_plans
from cgcrm.extensions import db

# Through psycopg directly, prepared at once: a create runs it every time, and SQLAlchemy's
# handling of a statement costs more than PostgreSQL's of this one. It also sets the match's
# plan mode for the transaction (the match runs next): one round trip instead of two.
_LOCKS = (
    f"SELECT count(pg_advisory_xact_lock(k)), {GENERIC_PLANS} "
    "FROM (SELECT unnest(CAST(%s AS bigint[])) AS k ORDER BY k) AS keys"
)


def _hashed(parts: tuple[str, ...]) -> int:
    digest = hashlib.blake2b("\x1f".join(("citizen-create", *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _name_parts(data: Mapping[str, Any]) -> set[str]:
    keys = (normalize.name_key(data.get(field)) for field in ("given_name", "family_name"))
    return {key for key in keys if key}


def _contact_keys(data: Mapping[str, Any], region: str) -> Iterable[tuple[str, ...]]:
    for point in data.get("contact_points") or []:
        value = str(point.get("value") or "").strip()
        if not value:
            continue
        if point.get("kind") == "email":
            yield ("email", value.lower())
        elif point.get("kind") == "phone":
            yield ("phone", normalize.try_phone(value, region) or value)
    for item in data.get("identifiers") or []:
        if item.get("system") and item.get("value") and not item.get("masked"):
            canonical = normalize.identifier_canonical(str(item["value"]))
            yield ("identifier", str(item["system"]), canonical)


def lock_keys(data: Mapping[str, Any], region: str) -> list[int]:
    """The sorted advisory lock keys of a create-shaped body."""
    subjects: set[tuple[str, ...]] = set(_contact_keys(data, region))
    parts = _name_parts(data)
    dob = data.get("date_of_birth")
    if dob:
        # Each part on its own: a typo in the other, or the two read the other way round,
        # still shares a key.
        subjects.update(("dob-name", str(dob), part) for part in parts)
    elif parts:
        subjects.add(("names", *sorted(parts)))
    return sorted({_hashed(subject) for subject in subjects})


def serialise_same_person(data: Mapping[str, Any]) -> None:
    """Wait for concurrent creates sharing a key with ``data`` (PostgreSQL; SQLite runs one
    writer at a time anyway). Held until the caller's transaction ends."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = lock_keys(data, current_app.config["DEFAULT_PHONE_REGION"])
    if keys:
        execute_prepared(_LOCKS, (keys,))
        note_generic_plans()
