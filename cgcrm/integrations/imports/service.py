"""Rules of bulk import seen by the API: accept a file, report its progress and its rows.

Applying the rows is the job's work (``cgcrm.integrations.imports.apply``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import select

from cgcrm.core.errors import NotAuthorized, NotFound, ValidationError
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.integrations.imports import parsing
from cgcrm.integrations.imports.models import CitizenImport, ImportRow

REQUESTED_EVENT = "citizen_import.requested"


def _parse_mapping(raw: str | None, file_format: str) -> dict[str, str] | None:
    if raw is None:
        return None
    if file_format != "csv":
        raise ValidationError(
            "a mapping is for CSV files only", errors={"mapping": ["NDJSON rows are bodies"]}
        )
    try:
        mapping = json.loads(raw)
    except ValueError as exc:
        raise ValidationError("the mapping is not JSON", errors={"mapping": [str(exc)]}) from exc
    if not isinstance(mapping, dict) or not mapping:
        raise ValidationError("the mapping is not a JSON object", errors={"mapping": ["object"]})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ValidationError(
            "the mapping maps column names to field names",
            errors={"mapping": ["strings to strings"]},
        )
    return mapping


def request_import(
    actor: Actor,
    content: bytes,
    media_type: str,
    mapping: str | None = None,
    file_name: str | None = None,
) -> CitizenImport:
    """Store a department's file and queue its import (the ``citizen_import.requested`` event
    starts the job on the ``imports`` queue once this commits).

    :param media_type: ``text/csv`` or ``application/x-ndjson``.
    :param mapping: CSV only: the JSON text of the column mapping (``parsing``).
    :raises NotAuthorized: the caller belongs to no department (imports are a department's).
    :raises ValidationError: an empty file, a CSV whose header or mapping is wrong, text that
        is not UTF-8. Rows are checked by the job: a bad row never refuses the file.
    """
    department_id = actor.principal.department_id
    if department_id is None:
        raise NotAuthorized("an import is a department's: this principal belongs to none")
    file_format = parsing.FORMATS[media_type]
    if not content.strip():
        raise ValidationError("the file is empty", errors={"file": ["empty"]})
    parsed_mapping = _parse_mapping(mapping, file_format)
    if file_format == "csv":
        parsed_mapping = parsing.check_csv(content, parsed_mapping)
    else:
        parsing.decode(content)
    try:
        citizen_import = CitizenImport(
            id=uuid.uuid4(),
            department_id=department_id,
            requested_by=actor.principal.ref[:80],
            format=file_format,
            mapping=parsed_mapping,
            file_name=file_name,
            content=content,
            content_sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
            status="queued",
            rows_done=0,
            created=0,
            linked=0,
            review=0,
            rejected=0,
        )
        db.session.add(citizen_import)
        db.session.flush()
        add_event(
            REQUESTED_EVENT,
            "citizen_import",
            citizen_import.id,
            {"import_id": str(citizen_import.id), "format": file_format},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return citizen_import


def _visible_import(actor: Actor, import_id: uuid.UUID) -> CitizenImport:
    """The import, if the caller's department made it (or the caller is an administrator).

    :raises NotFound: no such import, or another department's (not disclosed).
    """
    found = db.session.get(CitizenImport, import_id)
    principal = actor.principal
    if found is None or (
        found.department_id != principal.department_id and "admin" not in principal.scopes
    ):
        raise NotFound(f"no import with id {import_id}")
    return found


def get_import(actor: Actor, import_id: uuid.UUID) -> CitizenImport:
    """One import with its progress and counts.

    :raises NotFound: no such import, or another department's.
    """
    try:
        return _visible_import(actor, import_id)
    finally:
        db.session.commit()


def list_import_rows(
    actor: Actor,
    import_id: uuid.UUID,
    *,
    limit: int,
    after: int | None = None,
    outcome: str | None = None,
) -> list[Any]:
    """A page of an import's row outcomes in row order, optionally of one outcome.

    :raises NotFound: no such import, or another department's.
    """
    try:
        _visible_import(actor, import_id)
        query = (
            select(ImportRow)
            .where(ImportRow.import_id == import_id)
            .order_by(ImportRow.row_number)
            .limit(limit)
        )
        if after is not None:
            query = query.where(ImportRow.row_number > after)
        if outcome:
            query = query.where(ImportRow.outcome == outcome)
        return list(db.session.scalars(query))
    finally:
        db.session.commit()
