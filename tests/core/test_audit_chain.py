"""The audit trail: one row per read, sealed later with a keyed chain, and tamper-evident.

Tampering is done as a database superuser would: with ``session_replication_role = replica``,
which switches the append-only triggers off, then ``flask audit verify`` must catch it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import DBAPIError

from cgcrm.core.audit import canonical_content, verify_chain
from cgcrm.core.audit_keys import AuditKeyring, build_audit_keyring
from cgcrm.core.audit_seal import seal_pending
from cgcrm.extensions import db
from cgcrm.settings import ConfigError
from tests.conftest import counting_queries, new_citizen_payload

AUDIT_TABLES = ("audit_events", "audit_seals", "audit_checkpoints")


def _verify(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _seal(app: Flask) -> int:
    with app.app_context():
        sealed = seal_pending().sealed
        db.session.remove()
        return sealed


def _as_superuser(app: Flask, *statements: str, **params: Any) -> None:
    """Run statements with the triggers off, as a superuser bypassing them would."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(sa.text(statement), params)


def _scalar(app: Flask, sql: str, **params: Any) -> Any:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


@pytest.fixture
def read_citizen(app: Flask, staff: Any) -> Iterator[uuid.UUID]:
    """A citizen created and read three times, every event sealed."""
    citizen_id = staff.post("/api/v1/citizens", json=new_citizen_payload()).get_json()["id"]
    for _ in range(3):
        assert staff.get(f"/api/v1/citizens/{citizen_id}").status_code == 200
    _seal(app)
    yield uuid.UUID(citizen_id)


@pytest.fixture
def postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the append-only triggers are PostgreSQL's")


@pytest.mark.smoke
def test_a_read_writes_one_row_and_the_sealer_chains_it(app: Flask, staff: Any) -> None:
    citizen_id = staff.post("/api/v1/citizens", json=new_citizen_payload()).get_json()["id"]
    with counting_queries(app) as statements:
        assert staff.get(f"/api/v1/citizens/{citizen_id}").status_code == 200
    # One statement writes the event (on PostgreSQL the same one that reads the record); no
    # chain head is read or locked.
    audit = [s for s in statements if "audit" in s.lower()]
    assert len(audit) == 1 and "INSERT INTO audit_events" in audit[0]
    assert "audit_seals" not in audit[0]
    trail = staff.get(f"/api/v1/citizens/{citizen_id}/audit").get_json()
    assert [e["action"] for e in trail] == ["citizen.created", "citizen.read"]
    assert all(e["hash"] is None for e in trail), "not sealed yet"

    assert _seal(app) == 2
    trail = staff.get(f"/api/v1/citizens/{citizen_id}/audit").get_json()
    assert all(len(e["hash"]) == 64 for e in trail)
    with app.app_context():
        assert verify_chain(uuid.UUID(citizen_id))
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "audit trail intact: 2 sealed events verified" in result.output


def test_the_checkpoint_file_holds_signed_heads(app: Flask, read_citizen: uuid.UUID) -> None:
    with open(app.config["AUDIT_CHECKPOINT_FILE"]) as handle:
        lines = [json.loads(line) for line in handle]
    assert [line["kind"] for line in lines] == ["seal"]
    assert lines[0]["through_position"] == 4 and len(lines[0]["mac"]) == 64
    assert lines[0]["head_hash"] == _scalar(app, "SELECT hash FROM audit_seals WHERE position = 4")


def test_editing_a_row_and_recomputing_unkeyed_hashes_is_caught(
    app: Flask, read_citizen: uuid.UUID, postgresql_only: None
) -> None:
    _as_superuser(app, "UPDATE audit_events SET principal_id = 'someone-else' WHERE seq = 2")
    # Recompute every hash from the edited row on, as the old unkeyed SHA-256 chain allowed.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        events = connection.execute(sa.text("SELECT * FROM audit_events ORDER BY seq")).mappings()
        prev = "0" * 64
        for position, event in enumerate(list(events), start=1):
            digest = hashlib.sha256(prev.encode() + b"\n" + canonical_content(event)).hexdigest()
            connection.execute(
                sa.text("UPDATE audit_seals SET prev_hash = :p, hash = :h WHERE position = :n"),
                {"p": prev, "h": digest, "n": position},
            )
            prev = digest
    result = _verify(app)
    assert result.exit_code == 1
    assert "event 2 (position 2" in result.output and "it was altered" in result.output
    with app.app_context():
        assert not verify_chain(read_citizen)


def test_deleting_the_newest_events_is_caught(
    app: Flask, read_citizen: uuid.UUID, postgresql_only: None
) -> None:
    _as_superuser(
        app,
        "DELETE FROM audit_events WHERE seq > 2",
        "DELETE FROM audit_seals WHERE position > 2",
        "DELETE FROM audit_checkpoints",
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "the database's chain ends at position 2" in result.output
    assert "newest sealed events were deleted" in result.output


def test_deleting_everything_is_caught(
    app: Flask, read_citizen: uuid.UUID, postgresql_only: None
) -> None:
    _as_superuser(app, "TRUNCATE audit_events, audit_seals, audit_checkpoints")
    result = _verify(app)
    assert result.exit_code == 1
    assert "the database's chain ends at position 0" in result.output


def test_deleting_an_event_in_the_middle_is_caught(
    app: Flask, read_citizen: uuid.UUID, postgresql_only: None
) -> None:
    _as_superuser(
        app, "DELETE FROM audit_events WHERE seq = 2", "DELETE FROM audit_seals WHERE seq = 2"
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "positions 2..2 are missing" in result.output


@pytest.mark.parametrize("table", AUDIT_TABLES)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {table} SET {column} = {column}",
        "DELETE FROM {table}",
        "TRUNCATE {table}",
    ],
)
def test_the_database_refuses_changes_to_the_trail(
    app: Flask, read_citizen: uuid.UUID, postgresql_only: None, table: str, statement: str
) -> None:
    column = {"audit_events": "reason", "audit_seals": "hash", "audit_checkpoints": "mac"}[table]
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="the audit trail is append-only"):
            connection.execute(sa.text(statement.format(table=table, column=column)))
        connection.rollback()
    assert _verify(app).exit_code == 0


def _old_event(app: Flask, citizen_id: uuid.UUID, days_ago: int) -> None:
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_events (occurred_at, citizen_id, action, principal_kind, "
                "principal_id, fields, request_id) VALUES (:at, :cid, 'citizen.read', 'client', "
                "'old-system', '[]', 'req-old')"
            ),
            {"at": datetime.now(UTC) - timedelta(days=days_ago), "cid": citizen_id},
        )


def test_retention_purges_only_through_its_declared_path(
    app: Flask, staff: Any, postgresql_only: None
) -> None:
    citizen_id = uuid.uuid4()
    for days in (400, 390, 380):
        _old_event(app, citizen_id, days)
    _old_event(app, citizen_id, 10)
    result = app.test_cli_runner().invoke(args=["audit", "purge", "--before", "2000-01-01"])
    assert result.output.strip() == "nothing to purge"
    before = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    result = app.test_cli_runner().invoke(args=["audit", "purge", "--before", before])
    assert result.exit_code == 0, result.output
    assert "purged 3 events" in result.output
    assert _scalar(app, "SELECT count(*) FROM audit_events") == 1
    assert _scalar(app, "SELECT min(position) FROM audit_seals") == 4
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "1 sealed events verified (positions 4..4)" in result.output

    # A purge made up in the database (the trigger lets it delete) is not signed outside.
    with app.app_context(), db.engine.begin() as connection:
        purge_id = connection.execute(
            sa.text(
                "INSERT INTO audit_checkpoints (kind, created_at, through_position, head_hash, "
                "max_seq, events, key_id, mac) SELECT 'purge', now(), 4, hash, 4, 1, key_id, "
                "repeat('0', 64) FROM audit_seals WHERE position = 4 RETURNING id"
            )
        ).scalar()
        connection.execute(sa.text(f"SET LOCAL cgcrm.audit_purge = '{purge_id}'"))
        connection.execute(sa.text("DELETE FROM audit_events"))
        connection.execute(sa.text("DELETE FROM audit_seals"))
    result = _verify(app)
    assert result.exit_code == 1
    assert "is not in the signed checkpoint file" in result.output


def test_events_left_unsealed_too_long_are_reported(app: Flask, postgresql_only: None) -> None:
    _old_event(app, uuid.uuid4(), 1)
    result = _verify(app)
    assert result.exit_code == 1
    assert "1 events are unsealed" in result.output
    _seal(app)
    assert _verify(app).exit_code == 0


def test_keys_rotate_and_old_events_still_verify(
    app: Flask, staff: Any, read_citizen: uuid.UUID
) -> None:
    original = app.extensions["cgcrm.audit_keys"]
    new_key = b"n" * 40
    try:
        app.extensions["cgcrm.audit_keys"] = AuditKeyring({"k2": new_key, **original._keys}, "k2")
        staff.get(f"/api/v1/citizens/{read_citizen}")
        _seal(app)
        assert _scalar(app, "SELECT key_id FROM audit_seals WHERE position = 5") == "k2"
        assert _verify(app).exit_code == 0
        app.extensions["cgcrm.audit_keys"] = AuditKeyring({"k2": new_key}, "k2")
        result = _verify(app)
        assert result.exit_code == 1 and "unknown audit key 'dev'" in result.output
    finally:
        app.extensions["cgcrm.audit_keys"] = original


def test_production_refuses_to_start_without_audit_keys() -> None:
    production = Flask(__name__)
    production.config.update(ENV="production", SECRET_KEY="s" * 40, AUDIT_KEYS="")
    with pytest.raises(ConfigError, match="CGCRM_AUDIT_KEYS"):
        build_audit_keyring(production)
    production.config["AUDIT_KEYS"] = "2026:short"
    with pytest.raises(ConfigError, match="at least 32"):
        build_audit_keyring(production)
    production.config["AUDIT_KEYS"] = f"2026:{'a' * 32},2025:{'b' * 32}"
    assert build_audit_keyring(production).current_id == "2026"


def test_the_worker_seals_on_a_schedule(app: Flask, staff: Any) -> None:
    from cgcrm.worker.audit_sealing import seal_audit_trail
    from cgcrm.worker.periodic import PERIODIC_JOBS

    spec = next(job for job in PERIODIC_JOBS if job.name == "seal-audit-trail")
    assert spec.func == "cgcrm.worker.audit_sealing.seal_audit_trail"
    assert spec.interval_setting == "AUDIT_SEAL_INTERVAL"
    staff.post("/api/v1/citizens", json=new_citizen_payload())
    with app.app_context():
        assert seal_audit_trail() == 1
        assert seal_audit_trail() == 0
        db.session.remove()


def test_an_event_committed_long_after_its_number_is_still_sealed(
    app: Flask, staff: Any, postgresql_only: None
) -> None:
    staff.post("/api/v1/citizens", json=new_citizen_payload())  # seq 1
    with app.app_context():
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), 10)")
        )
        db.session.commit()
    _old_event(app, uuid.uuid4(), 0)  # seq 11
    assert _seal(app) == 2
    _as_superuser(app, "UPDATE audit_checkpoints SET created_at = created_at - interval '1 day'")
    # As if a transaction had drawn seq 5 back then and committed only now, past the look-back.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_events (seq, occurred_at, citizen_id, action, principal_kind, "
                "principal_id, fields, request_id) VALUES (5, now(), :cid, 'citizen.read', "
                "'client', 'late', '[]', 'req-late')"
            ),
            {"cid": uuid.uuid4()},
        )
    assert _seal(app) == 0, "the periodic run looks only above the look-back's floor"
    result = app.test_cli_runner().invoke(args=["audit", "seal"])
    assert result.output.strip() == "sealed 1 events"
    assert _verify(app).exit_code == 0
