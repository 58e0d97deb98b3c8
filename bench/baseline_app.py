"""The floors for GET /api/v1/citizens/{id} and POST /api/v1/interactions: a minimal Flask app.

No auth, no ORM, no schema, no audit: what Flask + gunicorn + one primary-key lookup
(``GET /citizens/<id>``, bench/get_throughput.py) or one INSERT into ``interactions`` with the
service and department ids looked up once per process (``POST /interactions``,
bench/interaction_throughput.py) cost on this machine. Run it as the real app is run:

    BASELINE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cgcrm_bench \\
        .venv/bin/gunicorn -w 2 -b 127.0.0.1:8001 baseline_app:app    # from bench/
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import psycopg
from flask import Flask, abort, jsonify, request
from psycopg.rows import dict_row

DATABASE_URL = os.environ.get(
    "BASELINE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cgcrm_bench"
)
COLUMNS = (
    "id, status, given_name, middle_names, family_name, preferred_name, date_of_birth, "
    "date_of_death, preferred_channel, preferred_language, accessibility_needs, "
    "merged_into_id, version, created_at, updated_at"
)
QUERY = "SELECT " + COLUMNS + " FROM citizens WHERE id = %s"
INSERT = (
    "INSERT INTO interactions (id, citizen_id, channel_code, service_id, department_id, "
    "direction, outcome, transaction_stage, started_at, ended_at, summary, recorded_by, "
    "recorded_at, request_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now(), %s)"
)
BASELINE_DEPARTMENT = "CUSTOMER"  # the department of the bench's OAuth client

app = Flask(__name__)
_connection: psycopg.Connection[dict[str, Any]] | None = None
_services: dict[str, uuid.UUID] = {}
_department: list[uuid.UUID] = []


def connection() -> psycopg.Connection[dict[str, Any]]:
    """One connection per worker process, opened after gunicorn forks."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DATABASE_URL, autocommit=True, row_factory=dict_row)
    return _connection


@app.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


@app.get("/citizens/<uuid:citizen_id>")
def get_citizen(citizen_id: uuid.UUID) -> Any:
    row = connection().execute(QUERY, (citizen_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(row)


def _uuid7() -> uuid.UUID:
    """Time-ordered id, as cgcrm.core.ids.new_id (random ids would scatter the primary key)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


@app.post("/interactions")
def record_interaction() -> Any:
    conn = connection()
    if not _department:
        rows = conn.execute("SELECT code, id FROM services").fetchall()
        _services.update({row["code"]: row["id"] for row in rows})
        department = conn.execute(
            "SELECT id FROM departments WHERE code = %s", (BASELINE_DEPARTMENT,)
        ).fetchone()
        assert department is not None
        _department.append(department["id"])
    body = request.get_json()
    new_id = _uuid7()
    conn.execute(
        INSERT,
        (
            new_id,
            body.get("citizen_id"),
            body["channel"],
            _services.get(body.get("service_code") or ""),
            _department[0],
            body.get("direction", "inbound"),
            body["outcome"],
            body.get("transaction_stage"),
            body["started_at"],
            body.get("ended_at"),
            body.get("summary"),
            "client:baseline",
            request.headers.get("X-Request-ID") or uuid.uuid4().hex,
        ),
    )
    return jsonify({"id": new_id}), 201
